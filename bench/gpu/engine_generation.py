"""`/v1/chat/completions` and `/v1/completions`: validate, admit, decode, answer.

Greedy decoding always (random weights make sampling meaningless, and the
validator compares answers at temperature 0); `max_tokens` defaults to
`--default-max-tokens` (16) instead of vLLM's "up to the context length",
because random weights rarely produce an end-of-sequence token. Streaming
follows vLLM: a first chat chunk with the assistant role, one chunk per
token, a usage chunk when `stream_options.include_usage`, then `[DONE]`; an
engine death mid-stream is an error event then `[DONE]` after a 200.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from engine_core import Request
from engine_http import ENGINE_DEAD, BadRequest, EngineHandler, error_body
from engine_text import chat_prompt, encode, render_pieces


def _parse(handler: EngineHandler, kind: str) -> tuple[dict[str, Any], str, list[int]]:
    ctx = handler.ctx
    content_type = handler.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    raw = handler.read_body()
    if content_type != "application/json":
        raise BadRequest("Unsupported Media Type: Only 'application/json' is allowed")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"[{{'type': 'json_invalid', 'loc': ('body', 0), 'msg': 'JSON decode error', 'ctx': {{'error': '{error}'}}}}]") from error
    if not isinstance(body, dict):
        raise BadRequest("[{'type': 'model_attributes_type', 'loc': ('body',), 'msg': 'Input should be a valid dictionary or object to extract fields from'}]")
    model = body.get("model")
    if model in (None, ""):
        model = ctx.args.model_name
    elif not isinstance(model, str):
        raise BadRequest("[{'type': 'string_type', 'loc': ('body', 'model'), 'msg': 'Input should be a valid string'}]")
    elif model not in ctx.args.served_model_names:
        raise BadRequest(f"The model `{model}` does not exist.", 404, "NotFoundError", "model")
    vocab, limit = ctx.core.backend.vocab_size, ctx.args.max_model_len
    if kind == "chat":
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            raise BadRequest("[{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required'}]")
        ids = encode(chat_prompt(messages), vocab, limit)
    else:
        prompt = body.get("prompt")
        if isinstance(prompt, list) and prompt and all(isinstance(t, int) for t in prompt):
            ids = [t % vocab for t in prompt][-limit:]
        else:
            if isinstance(prompt, list) and prompt and isinstance(prompt[0], str):
                prompt = prompt[0]
            if not isinstance(prompt, str):
                raise BadRequest("[{'type': 'missing', 'loc': ('body', 'prompt'), 'msg': 'Field required'}]")
            ids = encode(prompt, vocab, limit)
    return body, model, ids


def _max_tokens(handler: EngineHandler, body: dict[str, Any]) -> int:
    value = body.get("max_completion_tokens", body.get("max_tokens"))
    if value is None:
        return handler.ctx.args.default_max_tokens
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BadRequest(f"[{{'type': 'value_error', 'loc': ('body', 'max_tokens'), 'msg': 'Invalid value for max_tokens: {value!r}'}}]")
    return value


def run_generation(handler: EngineHandler, kind: str) -> None:
    body, model, ids = _parse(handler, kind)
    max_tokens = _max_tokens(handler, body)
    stream = body.get("stream") is True
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage", True) is not False
    core = handler.ctx.core
    request = Request(id=f"{'chatcmpl' if kind == 'chat' else 'cmpl'}-{secrets.token_hex(16)}")
    admitted = core.admit(request, handler.client_gone)
    if admitted == "cancelled":
        handler.close_connection = True
        return
    if admitted == "dead":
        handler.send_error_json(500, ENGINE_DEAD, "InternalServerError")
        return
    created = int(time.time())
    writer = _StreamWriter(handler, kind, request.id, created, model) if stream else None
    tokens: list[int] = []

    def emit(token: int) -> bool:
        tokens.append(token)
        if writer is None:
            return True
        return writer.piece(render_pieces(tokens[-2:])[-1] if len(tokens) > 1 else render_pieces([token])[0])

    outcome = "completed"
    try:
        if writer is not None and not writer.start():
            outcome = "cancelled"
            return
        try:
            reason = core.generate(request, ids, max_tokens, emit)
        except Exception as error:  # noqa: BLE001 - a failing forward kills a real engine
            core.crash("generate_failed", [f"{type(error).__name__}: {error}"])
            reason = "abort"
        usage = {"prompt_tokens": len(ids), "total_tokens": len(ids) + len(tokens),
                 "completion_tokens": len(tokens), "prompt_tokens_details": None}
        if request.aborted == "engine_dead":
            outcome = "failed"
        elif writer is not None and writer.broken:
            outcome = "cancelled"
        # The engine is done with the request before its last bytes leave, as in vLLM: a client
        # (llmux) that sleeps the engine the moment the answer ends must find nothing running.
        core.finish(request, outcome)
        if outcome == "failed":
            if writer is not None and writer.started:
                writer.error(ENGINE_DEAD)
            else:
                handler.send_error_json(500, ENGINE_DEAD, "InternalServerError")
        elif writer is not None:
            if outcome != "cancelled":
                writer.finish(reason, usage if include_usage else None)
        else:
            text = "".join(render_pieces(tokens))
            handler.send_json(200, _full_response(kind, request.id, created, model, text, reason, usage))
    finally:
        core.finish(request, outcome)  # no-op when already finished; covers an early return or error


def _full_response(kind: str, rid: str, created: int, model: str, text: str, reason: str, usage: dict) -> dict[str, Any]:
    if kind == "chat":
        return {
            "id": rid, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None, "annotations": None,
                                                 "audio": None, "function_call": None, "tool_calls": [], "reasoning_content": None},
                         "logprobs": None, "finish_reason": reason, "stop_reason": None}],
            "service_tier": None, "system_fingerprint": None, "usage": usage, "prompt_logprobs": None, "kv_transfer_params": None,
        }
    return {
        "id": rid, "object": "text_completion", "created": created, "model": model,
        "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": reason, "stop_reason": None, "prompt_logprobs": None}],
        "usage": usage, "kv_transfer_params": None,
    }


class _StreamWriter:
    """Server-sent events over chunked transfer encoding; `broken` once the client went away."""

    def __init__(self, handler: EngineHandler, kind: str, rid: str, created: int, model: str) -> None:
        self.handler, self.kind, self.rid, self.created, self.model = handler, kind, rid, created, model
        self.started = False
        self.broken = False
        self._pending: str | None = None  # the last piece waits so it can carry the finish reason

    def _chunk(self, data: str) -> bool:
        if self.broken:
            return False
        raw = data.encode("utf-8")
        try:
            self.handler.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
            self.handler.wfile.flush()
            return True
        except (OSError, ValueError):
            self.broken = True
            return False

    def _event(self, body: Any) -> bool:
        return self._chunk(f"data: {json.dumps(body)}\n\n")

    def _body(self, text: str, finish: str | None) -> dict[str, Any]:
        if self.kind == "chat":
            choice = {"index": 0, "delta": {"content": text}, "logprobs": None, "finish_reason": finish}
        else:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish, "stop_reason": None}
        return {"id": self.rid, "object": "chat.completion.chunk" if self.kind == "chat" else "text_completion",
                "created": self.created, "model": self.model, "choices": [choice]}

    def start(self) -> bool:
        handler = self.handler
        try:
            handler.send_response(200)
            handler.send_header("content-type", "text/event-stream; charset=utf-8")
            handler.send_header("cache-control", "no-cache")
            handler.send_header("transfer-encoding", "chunked")
            handler.end_headers()
        except OSError:
            self.broken = True
            return False
        self.started = True
        handler.ctx.log.access(f"{handler.client_address[0]}:{handler.client_address[1]}", handler.command, handler.path, 200)
        if self.kind == "chat":
            first = self._body("", None)
            first["choices"][0]["delta"] = {"role": "assistant", "content": ""}
            return self._event(first)
        return True

    def piece(self, text: str) -> bool:
        ok = True
        if self._pending is not None:
            ok = self._event(self._body(self._pending, None))
        self._pending = text
        return ok and not self.broken

    def finish(self, reason: str, usage: dict | None) -> None:
        self._event(self._body(self._pending or "", reason))
        if usage is not None:
            body = {"id": self.rid, "object": "chat.completion.chunk" if self.kind == "chat" else "text_completion",
                    "created": self.created, "model": self.model, "choices": [], "usage": usage}
            self._event(body)
        self._chunk("data: [DONE]\n\n")
        self._end()

    def error(self, message: str) -> None:
        self._event(error_body(500, message, "InternalServerError"))
        self._chunk("data: [DONE]\n\n")
        self._end()

    def _end(self) -> None:
        try:
            self.handler.wfile.write(b"0\r\n\r\n")
            self.handler.wfile.flush()
        except (OSError, ValueError):
            self.broken = True
