"""Log lines shaped like vLLM v0.13's.

`(APIServer pid=N) INFO 11-30 01:14:34 [api_server.py:1] message`: llmux
recognises vLLM's start-up milestones by their text, and `run.sh` reads the
engine's own sleep and wake timings from these lines (see README, "Engine log
lines"). Each line is written and flushed at once so the last lines before a
crash are never lost; with `--engine-log FILE` every line also goes to FILE.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO


class VllmLogger:
    def __init__(self, stream: TextIO | None = None, file_path: str | None = None) -> None:
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        if file_path:
            directory = os.path.dirname(os.path.abspath(file_path))
            os.makedirs(directory, exist_ok=True)
            self._file = open(file_path, "a", encoding="utf-8", buffering=1)

    def log(self, level: str, where: str, message: str, source: str = "APIServer") -> None:
        stamp = time.strftime("%m-%d %H:%M:%S", time.localtime())
        with self._lock:
            for line in str(message).split("\n"):
                text = f"({source} pid={os.getpid()}) {level} {stamp} [{where}] {line}\n"
                try:
                    self._stream.write(text)
                    self._stream.flush()
                except (OSError, ValueError):
                    pass  # llmux closed our stdout: keep serving, keep the file log.
                if self._file is not None:
                    self._file.write(text)

    def info(self, where: str, message: str, source: str = "APIServer") -> None:
        self.log("INFO", where, message, source)

    def warning(self, where: str, message: str, source: str = "APIServer") -> None:
        self.log("WARNING", where, message, source)

    def error(self, where: str, message: str, source: str = "APIServer") -> None:
        self.log("ERROR", where, message, source)

    def access(self, client: str, method: str, path: str, status: int) -> None:
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
                  500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "")
        with self._lock:
            text = f'(APIServer pid={os.getpid()}) INFO:     {client} - "{method} {path} HTTP/1.1" {status} {reason}'.rstrip() + "\n"
            try:
                self._stream.write(text)
                self._stream.flush()
            except (OSError, ValueError):
                pass
            if self._file is not None:
                self._file.write(text)
