"""Helpers for the engine's tests: spawn `engine.py serve` on a free port, talk HTTP, clean up.

The backend comes from `LLMUX_ENGINE_TEST_BACKEND` (default `fake`) and its
size from `LLMUX_ENGINE_TEST_SIZE_GB` (default 0.2), so the same contract
tests run against the torch backend on a GPU machine (run.sh does).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINE = os.path.join(HERE, "engine.py")
BACKEND = os.environ.get("LLMUX_ENGINE_TEST_BACKEND", "fake")
SIZE_GB = os.environ.get("LLMUX_ENGINE_TEST_SIZE_GB", "0.2")
PYTHON = os.environ.get("LLMUX_ENGINE_PYTHON", sys.executable)
START_TIMEOUT_S = float(os.environ.get("LLMUX_ENGINE_TEST_START_TIMEOUT_S", "120"))
PROBE = {"messages": [{"role": "user", "content": "What is the capital of France? Answer in one word."}],
         "temperature": 0, "seed": 42, "max_tokens": 10}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)

    def events(self) -> list[str]:
        """The `data:` payloads of an SSE body, in order."""
        return [line[6:] for line in self.body.decode().split("\n") if line.startswith("data: ")]


def call(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 60, raw: bytes | None = None) -> Response:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        send_headers = dict(headers or {})
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
            send_headers.setdefault("content-type", "application/json")
        connection.request(method, path, body=payload, headers=send_headers)
        response = connection.getresponse()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


class Engine:
    """One `engine.py serve` process; `stop()` is idempotent and also runs on test failure."""

    def __init__(self, test: unittest.TestCase | None, *extra: str, env: dict[str, str] | None = None,
                 name: str = "m1", model: str = "test/model-a", wait: bool = True, dev_mode: str | None = "1",
                 cache_dir: str | None = None) -> None:
        self.dir = tempfile.mkdtemp(prefix="llmux-engine-test-")
        self.port = free_port()
        self.name = name
        self.log_path = os.path.join(self.dir, "engine.out")
        self.engine_log = os.path.join(self.dir, "engine.log")
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("LLMUX_ENGINE_") or k == "LLMUX_ENGINE_PYTHON"}
        full_env.pop("VLLM_SERVER_DEV_MODE", None)
        if dev_mode is not None:
            full_env["VLLM_SERVER_DEV_MODE"] = dev_mode
        full_env["PYTHONUNBUFFERED"] = "1"
        full_env.update(env or {})
        argv = [PYTHON, ENGINE, "serve", model, "--host", "127.0.0.1", "--port", str(self.port), "--enable-sleep-mode",
                "--served-model-name", name, "--gpu-memory-utilization", "0.3", "--backend", BACKEND, "--size-gb", SIZE_GB,
                "--cache-dir", cache_dir or os.path.join(self.dir, "cache"), "--engine-log", self.engine_log, *extra]
        self._out = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._out, stderr=subprocess.STDOUT, env=full_env, start_new_session=True)
        if test is not None:
            test.addCleanup(self.stop)
        if wait:
            self.wait_ready()

    def output(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"engine exited with {self.proc.returncode} before it was ready:\n{self.output()[-3000:]}")
            try:
                if call(self.port, "GET", "/health", timeout=5).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"engine not ready after {timeout} s:\n{self.output()[-3000:]}")

    def wait_exit(self, timeout: float = 30) -> int:
        return self.proc.wait(timeout=timeout)

    def ask(self, **overrides: Any) -> str:
        response = call(self.port, "POST", "/v1/chat/completions", {"model": self.name, **PROBE, **overrides})
        if response.status != 200:
            raise AssertionError(f"probe answered {response.status}: {response.body[:300]!r}")
        return response.json()["choices"][0]["message"]["content"]

    def post(self, path: str, body: Any = None) -> Response:
        return call(self.port, "POST", path, body)

    def get(self, path: str) -> Response:
        return call(self.port, "GET", path)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)
        self._out.close()
        shutil.rmtree(self.dir, ignore_errors=True)
