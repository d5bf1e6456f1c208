"""The HTTP surface of `vllm serve` v0.13 that llmux and its validator use.

Standard library only (`http.server`): the GPU machine has no package
registry. HTTP/1.1 with keep-alive (llmux's client pools connections), JSON
answers with a Content-Length, streams as chunked `text/event-stream`.
Errors have vLLM's shape `{"error": {"message", "type", "param", "code"}}`;
routes that do not exist answer Starlette's `{"detail": "Not Found"}`. The
admin routes exist only in dev mode (`VLLM_SERVER_DEV_MODE=1`).
"""

from __future__ import annotations

import json
import secrets
import select
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from engine_core import EngineCore, Reply

VERSION = "0.13.0"
ENGINE_DEAD = "EngineCore encountered an issue. See stack trace (above) for the root cause."
MAX_BODY = 32 * 1024 * 1024


class EngineServer(ThreadingHTTPServer):
    daemon_threads = True
    # Many clients at once during a benchmark: a deep accept queue.
    request_queue_size = 128

    def __init__(self, sock, ctx) -> None:
        super().__init__(sock.getsockname()[:2], EngineHandler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.ctx = ctx
        self.server_activate()


class ServerContext:
    def __init__(self, args, core: EngineCore, log, dev_mode: bool) -> None:
        self.args = args
        self.core = core
        self.log = log
        self.dev_mode = dev_mode
        self.created = int(time.time())


def error_body(status: int, message: str, kind: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": status}}


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400, kind: str = "Bad Request", param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.param = status, kind, param


class EngineHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EngineServer

    # --- plumbing ------------------------------------------------------------
    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; with Nagle on, the second waits for the client's
        # delayed ACK (~40 ms per call), which the benchmark would blame on llmux. uvicorn (asyncio)
        # sets TCP_NODELAY too.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # access lines go through the vLLM-shaped logger instead

    @property
    def ctx(self) -> ServerContext:
        return self.server.ctx

    def _send(self, status: int, body: bytes, content_type: str | None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
        self.ctx.log.access(f"{self.client_address[0]}:{self.client_address[1]}", self.command, self.path, status)

    def send_json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body).encode("utf-8"), "application/json")

    def send_empty(self, status: int = 200) -> None:
        self._send(status, b"", None)

    def send_plain(self, status: int, text: str) -> None:
        self._send(status, text.encode("utf-8"), "text/plain; charset=utf-8")

    def send_error_json(self, status: int, message: str, kind: str, param: str | None = None) -> None:
        self.send_json(status, error_body(status, message, kind, param))

    def read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
                if len(data) > MAX_BODY:
                    raise BadRequest("Request body too large", 413, "Request Entity Too Large")
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            raise BadRequest("Request body too large", 413, "Request Entity Too Large")
        return self.rfile.read(length) if length > 0 else b""

    def client_gone(self) -> bool:
        """True when the client closed its side (readable with nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, 0x2) == b""  # MSG_PEEK
        except (OSError, ValueError):
            return True

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query, keep_blank_values=True)

    # --- dispatch --------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _routes(self) -> dict[str, dict[str, Any]]:
        routes: dict[str, dict[str, Any]] = {
            "/health": {"GET": self.health},
            "/version": {"GET": self.version},
            "/v1/models": {"GET": self.models},
            "/metrics": {"GET": self.metrics},
            "/v1/chat/completions": {"POST": lambda: self.generation("chat")},
            "/v1/completions": {"POST": lambda: self.generation("completion")},
            "/pause": {"POST": self.pause},
            "/resume": {"POST": self.resume},
            "/is_paused": {"GET": self.is_paused},
        }
        if self.ctx.dev_mode:
            routes.update({
                "/sleep": {"POST": self.sleep},
                "/wake_up": {"POST": self.wake_up},
                "/is_sleeping": {"GET": self.is_sleeping},
                "/collective_rpc": {"POST": self.collective_rpc},
                "/reset_prefix_cache": {"POST": self.reset_prefix_cache},
            })
        return routes

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        route = self._routes().get(path)
        try:
            if route is None:
                self.read_body()
                self.send_json(404, {"detail": "Not Found"})
            elif method not in route:
                self.read_body()
                self.send_json(405, {"detail": "Method Not Allowed"})
            elif path.startswith("/v1/") and not self._authorised():
                self.read_body()
                self.send_json(401, {"error": "Unauthorized"})
            else:
                route[method]()
        except BadRequest as error:
            self.send_error_json(error.status, str(error), error.kind, error.param)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _authorised(self) -> bool:
        key = self.ctx.args.api_key
        return key is None or self.headers.get("authorization", "") == f"Bearer {key}"

    # --- info routes -------------------------------------------------------------
    def health(self) -> None:
        if self.ctx.core.dead:
            self.send_json(503, error_body(503, ENGINE_DEAD, "ServiceUnavailable"))
        else:
            self.send_empty(200)

    def version(self) -> None:
        self.send_json(200, {"version": VERSION})

    def models(self) -> None:
        args, created = self.ctx.args, self.ctx.created
        self.send_json(200, {"object": "list", "data": [{
            "id": name, "object": "model", "created": created, "owned_by": "vllm", "root": args.model_path,
            "parent": None, "max_model_len": args.max_model_len,
            "permission": [{"id": f"modelperm-{secrets.token_hex(16)}", "object": "model_permission", "created": created,
                            "allow_create_engine": False, "allow_sampling": True, "allow_logprobs": True,
                            "allow_search_indices": False, "allow_view": True, "allow_fine_tuning": False,
                            "organization": "*", "group": None, "is_blocking": False}],
        } for name in args.served_model_names]})

    def metrics(self) -> None:
        core, name = self.ctx.core, self.ctx.args.model_name.replace('"', '\\"')
        labels = f'engine="0",model_name="{name}"'
        lines = [
            "# TYPE vllm:num_requests_running gauge", f"vllm:num_requests_running{{{labels}}} {len(core.running)}",
            "# TYPE vllm:num_requests_waiting gauge", f"vllm:num_requests_waiting{{{labels}}} {core.waiting}",
            "# TYPE vllm:kv_cache_usage_perc gauge", f"vllm:kv_cache_usage_perc{{{labels}}} 0.0",
            "# TYPE vllm:engine_sleep_state gauge",
            *(f'vllm:engine_sleep_state{{{labels},sleep_state="{state}"}} {1 if core.sleep_state == state else 0}'
              for state in ("awake", "weights_offloaded", "discard_all")),
            "# TYPE vllm:prompt_tokens_total counter", f"vllm:prompt_tokens_total{{{labels}}} {core.prompt_tokens}",
            "# TYPE vllm:generation_tokens_total counter", f"vllm:generation_tokens_total{{{labels}}} {core.generation_tokens}",
            "# TYPE vllm:request_success_total counter", f"vllm:request_success_total{{{labels}}} {core.counts['completed']}",
        ]
        self._send(200, ("\n".join(lines) + "\n").encode(), "text/plain; version=0.0.4; charset=utf-8")

    # --- dev routes ------------------------------------------------------------------
    def _reply(self, reply: Reply, ok) -> None:
        if reply.kind == "ok":
            ok()
        elif reply.kind == "crashed":
            self.send_error_json(500, ENGINE_DEAD, "InternalServerError")
        elif reply.plain:
            self.send_plain(reply.status, reply.message)
        else:
            self.send_error_json(reply.status, reply.message, "InternalServerError")

    def sleep(self) -> None:
        self.read_body()
        raw = (self.query().get("level") or ["1"])[0]
        try:
            level = int(raw)
        except ValueError:
            # Python's int() raising inside the route: Starlette's bare 500.
            self.send_plain(500, "Internal Server Error")
            return
        self.ctx.log.info("api_server.py:1000", f"sleep the engine with level {level}")
        self._reply(self.ctx.core.sleep(level), self.send_empty)

    def wake_up(self) -> None:
        self.read_body()
        tags = self.query().get("tags") or []
        self.ctx.log.info("api_server.py:1010", f"wake up the engine with tags: {tags if tags else None}")
        self._reply(self.ctx.core.wake_up(tags), self.send_empty)

    def is_sleeping(self) -> None:
        self.send_json(200, {"is_sleeping": self.ctx.core.is_sleeping})

    def collective_rpc(self) -> None:
        raw = self.read_body()
        try:
            body = json.loads(raw.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError) as error:
            raise BadRequest(f"JSON decode error: {error}") from error
        method = body.get("method") if isinstance(body, dict) else None
        if method is None:
            raise BadRequest("Missing 'method' in request body")
        if method != "reload_weights":
            self.send_error_json(500, f"AttributeError: 'Worker' object has no attribute '{method}'", "InternalServerError")
            return
        results = [None] * self.ctx.args.tensor_parallel_size
        self._reply(self.ctx.core.reload_weights(), lambda: self.send_json(200, {"results": results}))

    def reset_prefix_cache(self) -> None:
        self.read_body()
        self.ctx.log.info("api_server.py:1020", "Resetting prefix cache...")
        self.send_empty(200)

    def pause(self) -> None:
        self.read_body()
        wait = (self.query().get("wait_for_inflight_requests") or ["false"])[0].lower() in ("true", "1")
        self.ctx.core.pause(wait)
        self.send_json(200, {"status": "paused"})

    def resume(self) -> None:
        self.read_body()
        self.ctx.core.resume()
        self.send_json(200, {"status": "resumed"})

    def is_paused(self) -> None:
        self.send_json(200, {"is_paused": self.ctx.core.paused})

    # --- generation ----------------------------------------------------------------------
    def generation(self, kind: str) -> None:
        from engine_generation import run_generation  # one concept per file

        run_generation(self, kind)
