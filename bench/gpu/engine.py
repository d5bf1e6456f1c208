#!/usr/bin/env python3
"""A stand-in for `vllm serve` v0.13 with real weights in real GPU memory.

    engine.py serve <model> --port N [--host H] --enable-sleep-mode \
        --served-model-name NAME --gpu-memory-utilization F [vLLM flags...] \
        [--backend torch|fake] [--size-gb 14] [--pinned-buffers alloc|keep] ...
    engine.py build-weights <model> [--size-gb 14] [...]   # write the weights file and exit

llmux runs it through `vllm_command` (the `vllm-engine` wrapper beside this
file) exactly as it runs vLLM. See README.md for every flag and the log lines.
Start-up follows vLLM: the port is bound at once but nothing listens until the
model is loaded (connections are refused, there is no 503 phase), a port in
use or too little free GPU memory exits 1 with vLLM's message.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine_args import UsageError, parse_serve_args, usage_exit  # noqa: E402
from engine_backend import StartupError, create_backend, format_phases  # noqa: E402
from engine_core import EngineCore  # noqa: E402
from engine_http import VERSION, EngineServer, ServerContext  # noqa: E402
from engine_log import VllmLogger  # noqa: E402

# How long `/health` answers 503 after a crash before the process exits (as vLLM's shutdown).
CRASH_EXIT_DELAY_S = 0.3


def process_age_s() -> float:
    """Seconds since this process was started (exec), from /proc; else since this module was imported."""
    since_import = time.perf_counter() - _IMPORTED_AT
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        started_ticks = int(fields[19])  # field 22 of stat(5), counted after the comm field
        with open("/proc/uptime", encoding="ascii") as handle:
            uptime = float(handle.read().split()[0])
        age = uptime - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return since_import
    # A sandboxed /proc (gVisor) may count differently: trust it only when it is plausible.
    return age if since_import <= age <= since_import + 30 else since_import


_IMPORTED_AT = time.perf_counter()


def parse_dev_mode(raw: str | None) -> bool:
    """`VLLM_SERVER_DEV_MODE` as vLLM reads it: `bool(int(value))`; `true` raises ValueError."""
    return bool(int(raw if raw is not None else "0"))


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind without listening: the port is ours, but connections are refused while loading."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def build_weights(argv: list[str]) -> int:
    """`build-weights <model> [<model>...] [flags]`: write each model's weights file, one process for all."""
    paths = []
    while argv and not argv[0].startswith("--"):
        paths.append(argv.pop(0))
    if not paths:
        raise UsageError("build-weights: the following arguments are required: model_tag")
    for path in paths:
        args = parse_serve_args(["serve", path, *argv])
        log = VllmLogger(file_path=args.engine_log)
        backend = create_backend(args, log)
        started = time.perf_counter()
        phases = backend.prepare_weights_file()
        log.info("engine.py:1", f"weights file ready: {backend.describe()} ({format_phases(phases)}, {time.perf_counter() - started:.2f} s)")
        backend.close()
    return 0


def serve(argv: list[str]) -> int:
    try:
        args = parse_serve_args(argv)
    except UsageError as error:
        usage_exit(str(error))
    log = VllmLogger(file_path=args.engine_log)
    log.info("api_server.py:1885", f"vLLM API server version {VERSION}")
    log.info("utils.py:253", f"non-default args: {args.given}")
    try:
        dev_mode = parse_dev_mode(os.environ.get("VLLM_SERVER_DEV_MODE"))
    except ValueError as error:
        log.error("api_server.py:1900", f"ValueError: {error}")
        return 1
    if dev_mode:
        log.warning("api_server.py:1500", "SECURITY WARNING: Development endpoints are enabled on the API server. This should NOT be used in production!")
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as error:
        log.error("api_server.py:1900", f"OSError: [Errno {error.errno}] {error.strerror}: ('{args.host}', {args.port})")
        return 1

    backend = create_backend(args, log)
    log.info("gpu_model_runner.py:2600", f"Starting to load model {args.model_path}... ({backend.describe()})", "EngineCore_DP0")
    load_started = time.perf_counter()
    try:
        phases = backend.load()
    except StartupError as error:
        log.error("core.py:700", f"EngineCore failed to start.\n{error}", "EngineCore_DP0")
        log.error("api_server.py:1900", "RuntimeError: Engine core initialization failed. See root cause above.")
        return 1
    load_s = time.perf_counter() - load_started
    weights_s = phases.get("weights_s", load_s)
    log.info("default_loader.py:290", f"Loading weights took {weights_s:.2f} seconds", "EngineCore_DP0")
    log.info("gpu_model_runner.py:2650", f"Model loading took {backend.weight_bytes / 1024**3:.4f} GiB and {load_s:.2f} seconds", "EngineCore_DP0")
    log.info("core.py:250", f"init engine (profile, create kv cache, warmup model) took {load_s:.2f} seconds", "EngineCore_DP0")
    log.info("engine_core.py:0", f"engine phases: op=load {format_phases({**phases, 'total_s': load_s})}", "EngineCore_DP0")

    def on_crash(reason: str) -> None:
        def die() -> None:
            log.info("launcher.py:110", "Shutting down FastAPI HTTP server.")
            os._exit(1)

        threading.Timer(CRASH_EXIT_DELAY_S, die).start()

    core = EngineCore(backend, log, on_crash, sleep_mode=args.enable_sleep_mode)
    server = EngineServer(sock, ServerContext(args, core, log, dev_mode))

    def on_signal(signum: int, _frame) -> None:
        log.info("launcher.py:110", "Shutting down FastAPI HTTP server.")
        # The process holds the GPU memory; exiting at once is what frees it.
        os._exit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("api_server.py:1950", f"Starting vLLM API server 0 on http://{args.host}:{sock.getsockname()[1]}")
    log.info("launcher.py:40", "Available routes are: /health, /version, /v1/models, /v1/chat/completions, /v1/completions, /metrics, /pause, /resume, /is_paused"
             + (", /sleep, /wake_up, /is_sleeping, /collective_rpc, /reset_prefix_cache" if dev_mode else ""))
    log.info("on.py:62", "Application startup complete.")
    log.info("engine_core.py:0", f"engine ready: {process_age_s():.3f} seconds after process start")
    server.serve_forever(poll_interval=0.2)
    return 0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "build-weights":
        try:
            return build_weights(argv[1:])
        except UsageError as error:
            usage_exit(str(error))
    return serve(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
