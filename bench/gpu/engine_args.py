"""The `vllm serve` command line, parsed the way vLLM v0.13's argparse does.

Only the flags llmux and its validator pass are acted on; other common vLLM
flags are accepted and logged (as vLLM logs its non-default args) so a config
written for real vLLM runs unchanged. A flag vLLM does not know exits 2 with
argparse's message, as `vllm serve` does. The engine's own flags
(`--backend`, `--size-gb`, ...) also read `LLMUX_ENGINE_*` environment
variables, so llmux can set them per model through its `env` field; a flag
wins over the environment.
"""

from __future__ import annotations

import argparse
import os
import sys
import zlib
from dataclasses import dataclass, field
from typing import Mapping, Sequence

# vLLM flags that take a value and that this engine accepts but does not act on.
IGNORED_VALUE_FLAGS = (
    "max-num-seqs", "max-num-batched-tokens", "quantization", "kv-cache-dtype", "swap-space",
    "block-size", "tokenizer", "revision", "download-dir", "load-format", "chat-template",
    "generation-config", "uvicorn-log-level", "pipeline-parallel-size", "cpu-offload-gb",
    "max-loras", "compilation-config", "override-generation-config", "tool-call-parser",
    "reasoning-parser", "limit-mm-per-prompt", "distributed-executor-backend", "data-parallel-size",
    "hf-overrides", "tokenizer-mode", "max-logprobs",
)
# vLLM flags without a value that this engine accepts but does not act on.
IGNORED_BOOL_FLAGS = (
    "trust-remote-code", "enforce-eager", "enable-prefix-caching", "no-enable-prefix-caching",
    "disable-log-requests", "enable-log-requests", "disable-log-stats", "enable-chunked-prefill",
    "no-enable-chunked-prefill", "disable-uvicorn-access-log", "enable-auto-tool-choice",
    "disable-custom-all-reduce", "enable-lora", "disable-frontend-multiprocessing",
)

BACKENDS = ("torch", "fake")
PINNED_MODES = ("alloc", "keep")
DEFAULT_SIZE_GB = 14.0


class UsageError(Exception):
    """A command line `vllm serve` would refuse (exit 2)."""


@dataclass
class ServeArgs:
    model_path: str
    host: str
    port: int
    served_model_names: list[str]
    enable_sleep_mode: bool
    gpu_memory_utilization: float
    tensor_parallel_size: int
    dtype: str
    max_model_len: int
    api_key: str | None
    # The engine's own settings.
    backend: str
    size_gb: float
    weights_seed: int
    cache_dir: str
    pinned_buffers: str
    engine_log: str | None
    default_max_tokens: int
    startup_memory_wait_s: float = 0.0
    fake_ms: dict[str, float] = field(default_factory=dict)
    given: dict[str, object] = field(default_factory=dict)

    @property
    def model_name(self) -> str:
        return self.served_model_names[0]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _parser() -> _Parser:
    parser = _Parser(prog="vllm serve", allow_abbrev=False, add_help=False)
    parser.add_argument("model_tag", nargs="?")
    parser.add_argument("--model")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--served-model-name", nargs="+")
    parser.add_argument("--enable-sleep-mode", action="store_true")
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.9)
    parser.add_argument("--tensor-parallel-size", type=int, default=1)
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--max-model-len", type=int, default=4096)
    parser.add_argument("--api-key")
    parser.add_argument("--seed", type=int)
    for name in IGNORED_VALUE_FLAGS:
        parser.add_argument(f"--{name}")
    for name in IGNORED_BOOL_FLAGS:
        parser.add_argument(f"--{name}", action="store_true")
    # The engine's own flags (not vLLM's).
    parser.add_argument("--backend", choices=BACKENDS)
    parser.add_argument("--size-gb", type=float)
    parser.add_argument("--weights-seed", type=int)
    parser.add_argument("--cache-dir")
    parser.add_argument("--pinned-buffers", choices=PINNED_MODES)
    parser.add_argument("--engine-log")
    parser.add_argument("--default-max-tokens", type=int)
    parser.add_argument("--fake-ms")
    parser.add_argument("--startup-memory-wait-s", type=float)
    return parser


def _normalise(words: Sequence[str]) -> list[str]:
    """vLLM's parser accepts `--flag_name` for `--flag-name`."""
    out = []
    for word in words:
        if word.startswith("--"):
            name, sep, value = word[2:].partition("=")
            word = "--" + name.replace("_", "-") + sep + value
        out.append(word)
    return out


def parse_fake_ms(text: str) -> dict[str, float]:
    """`load=500,sleep=20,token=5` -> milliseconds per phase of the fake backend."""
    known = {"load", "sleep", "wake", "reload", "token"}
    result: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or key not in known:
            raise UsageError(f"--fake-ms: expected KEY=MS with KEY in {sorted(known)}, got {item!r}")
        try:
            result[key] = float(value)
        except ValueError as error:
            raise UsageError(f"--fake-ms: {item!r} is not a number of milliseconds") from error
    return result


def default_seed(model_path: str) -> int:
    """Each model path gets its own fixed weights, so two models answer differently."""
    return zlib.crc32(model_path.encode("utf-8")) & 0x7FFFFFFF


def parse_serve_args(argv: Sequence[str], env: Mapping[str, str] | None = None) -> ServeArgs:
    """Parse `serve <model> [flags]`; raises UsageError for what vLLM would reject."""
    env = os.environ if env is None else env
    words = list(argv)
    if not words or words[0] != "serve":
        raise UsageError(f"invalid choice: {words[0]!r} (choose from 'serve')" if words else "the following arguments are required: subparser")
    words = _normalise(words[1:])
    ns = _parser().parse_args(words)
    model_path = ns.model_tag or ns.model
    if not model_path:
        raise UsageError("the following arguments are required: model_tag")
    if not 0 < ns.gpu_memory_utilization <= 1:
        raise UsageError(f"argument --gpu-memory-utilization: invalid value: {ns.gpu_memory_utilization}")
    if not 0 <= ns.port < 65536:
        raise UsageError(f"argument --port: invalid value: {ns.port}")

    def setting(flag_value, env_name: str, default, convert):
        if flag_value is not None:
            return flag_value
        raw = env.get(env_name)
        if raw is None or raw == "":
            return default
        try:
            return convert(raw)
        except ValueError as error:
            raise UsageError(f"{env_name}: invalid value {raw!r}") from error

    def choice(allowed):
        def convert(raw: str) -> str:
            if raw not in allowed:
                raise ValueError(raw)
            return raw
        return convert

    backend = setting(ns.backend, "LLMUX_ENGINE_BACKEND", "torch", choice(BACKENDS))
    size_gb = setting(ns.size_gb, "LLMUX_ENGINE_SIZE_GB", DEFAULT_SIZE_GB, float)
    if not size_gb > 0:
        raise UsageError(f"--size-gb must be positive, got {size_gb}")
    seed = setting(ns.weights_seed, "LLMUX_ENGINE_WEIGHTS_SEED", default_seed(model_path), int)
    cache_default = os.path.join(os.environ.get("TMPDIR", "/tmp"), "llmux-engine-cache")
    fake_ms_text = setting(ns.fake_ms, "LLMUX_ENGINE_FAKE_MS", "", str)
    given = {key: value for key, value in vars(ns).items() if value not in (None, False) and key not in ("model_tag",)}
    return ServeArgs(
        model_path=model_path,
        # vLLM's default host is None, which binds every interface.
        host=ns.host or "0.0.0.0",
        port=ns.port,
        served_model_names=list(ns.served_model_name or [model_path]),
        enable_sleep_mode=ns.enable_sleep_mode,
        gpu_memory_utilization=ns.gpu_memory_utilization,
        tensor_parallel_size=ns.tensor_parallel_size,
        dtype=ns.dtype,
        max_model_len=ns.max_model_len,
        api_key=ns.api_key,
        backend=backend,
        size_gb=size_gb,
        weights_seed=seed,
        cache_dir=setting(ns.cache_dir, "LLMUX_ENGINE_CACHE_DIR", cache_default, str),
        pinned_buffers=setting(ns.pinned_buffers, "LLMUX_ENGINE_PINNED_BUFFERS", "alloc", choice(PINNED_MODES)),
        engine_log=setting(ns.engine_log, "LLMUX_ENGINE_LOG", None, str),
        default_max_tokens=setting(ns.default_max_tokens, "LLMUX_ENGINE_DEFAULT_MAX_TOKENS", 16, int),
        fake_ms=parse_fake_ms(fake_ms_text),
        startup_memory_wait_s=setting(ns.startup_memory_wait_s, "LLMUX_ENGINE_STARTUP_MEMORY_WAIT_S", 0.0, float),
        given=given,
    )


def usage_exit(message: str) -> None:
    sys.stderr.write(f"usage: vllm serve [model_tag] [options]\nvllm serve: error: {message}\n")
    sys.exit(2)
