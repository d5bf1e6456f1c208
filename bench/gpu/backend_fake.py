"""A model without torch: tiny deterministic "weights" and the same memory phases.

It keeps every semantic the torch backend has, so the contract can be tested
on a machine without a GPU: weights built from a seed and saved once to a
file, level 1 moves them to "host memory", level 2 drops them, a wake of the
weights after level 2 brings back garbage (vLLM #29341) until
`reload_weights` reads the file again. `--fake-ms` adds a delay to each phase
(`load`, `sleep`, `wake`, `reload`, and `token` between generated tokens) so
tests can hold a request open or see a phase take time.
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import Callable

from engine_backend import StartupError
from engine_text import EOS_ID, SPECIAL_IDS

WEIGHT_COUNT = 4096
VOCAB_SIZE = 32000
# What the fake "GPU" holds, for the log lines only.
FAKE_WEIGHT_BYTES = 512 * 1024 * 1024
FAKE_CONTEXT_BYTES = 600 * 1024 * 1024
_MASK = 0x7FFFFFFF


def fake_weights(seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(1 << 30) for _ in range(WEIGHT_COUNT)]


class FakeBackend:
    vocab_size = VOCAB_SIZE
    weight_bytes = FAKE_WEIGHT_BYTES

    def __init__(self, args, log) -> None:
        self._args = args
        self._log = log
        self._ms = args.fake_ms
        self._path = os.path.join(args.cache_dir, f"fake-weights-seed{args.weights_seed}.json")
        self._weights: list[int] | None = None  # on the "GPU"
        self._host: list[int] | None = None  # level-1 copy in "host memory"
        self._kv = False
        self._kv_bytes = 0

    def _pause(self, phase: str) -> None:
        ms = self._ms.get(phase, 0.0)
        if ms > 0:
            time.sleep(ms / 1000.0)

    def describe(self) -> str:
        return f"fake backend: {WEIGHT_COUNT} weights from seed {self._args.weights_seed}, file {self._path}"

    def load(self) -> dict[str, float]:
        if self._args.gpu_memory_utilization * 80 * 1024**3 <= FAKE_WEIGHT_BYTES + FAKE_CONTEXT_BYTES:
            raise StartupError("ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.")
        started = time.perf_counter()
        self._pause("load")
        phases: dict[str, float] = {}
        if os.path.exists(self._path):
            t = time.perf_counter()
            self._weights = self._read_file()
            phases["read_file_s"] = time.perf_counter() - t
        else:
            t = time.perf_counter()
            self._weights = fake_weights(self._args.weights_seed)
            phases["build_s"] = time.perf_counter() - t
            t = time.perf_counter()
            self._write_file(self._weights)
            phases["save_file_s"] = time.perf_counter() - t
        self._kv = True
        self._kv_bytes = int(self._args.gpu_memory_utilization * 80 * 1024**3) - FAKE_WEIGHT_BYTES - FAKE_CONTEXT_BYTES
        phases["total_s"] = time.perf_counter() - started
        return phases

    def prepare_weights_file(self) -> dict[str, float]:
        started = time.perf_counter()
        if not os.path.exists(self._path):
            self._write_file(fake_weights(self._args.weights_seed))
        return {"total_s": time.perf_counter() - started}

    def close(self) -> None:
        self._weights = self._host = None

    def _read_file(self) -> list[int]:
        with open(self._path, encoding="utf-8") as handle:
            return json.load(handle)

    def _write_file(self, weights: list[int]) -> None:
        os.makedirs(os.path.dirname(self._path), exist_ok=True)
        temp = f"{self._path}.{os.getpid()}.tmp"
        with open(temp, "w", encoding="utf-8") as handle:
            json.dump(weights, handle)
        os.replace(temp, self._path)

    def generate(self, prompt_ids: list[int], max_tokens: int, emit: Callable[[int], bool]) -> str:
        weights = self._weights
        if weights is None:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        state = 17
        for index, token in enumerate(prompt_ids):
            state = (state * 31 + weights[(token * 131 + index) % WEIGHT_COUNT]) & _MASK
        for step in range(max_tokens):
            if step > 0:
                self._pause("token")
            state = (state * 1103515245 + 12345 + weights[state % WEIGHT_COUNT]) & _MASK
            token = SPECIAL_IDS + state % (self.vocab_size - SPECIAL_IDS)
            if not emit(token):
                return "abort"
            if token == EOS_ID:
                return "stop"
        return "length"

    def sleep(self, level: int) -> dict[str, float]:
        started = time.perf_counter()
        self._pause("sleep")
        if level == 1:
            self._host = list(self._weights) if self._weights is not None else self._host
        self._weights = None
        self._kv = False
        return {"total_s": time.perf_counter() - started}

    def wake(self, tags: list[str]) -> dict[str, float]:
        started = time.perf_counter()
        self._pause("wake")
        if "weights" in tags:
            if self._host is not None:
                self._weights, self._host = self._host, None
            else:
                # Fresh weight memory holds whatever was there: garbage until reload_weights.
                self._weights = fake_weights(self._args.weights_seed ^ 0x5A5A5A5A)
        if "kv_cache" in tags:
            self._kv = True
        return {"total_s": time.perf_counter() - started}

    def reload_weights(self) -> dict[str, float]:
        started = time.perf_counter()
        self._pause("reload")
        if self._weights is None:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        self._weights = self._read_file()
        return {"read_file_s": time.perf_counter() - started, "total_s": time.perf_counter() - started}

    def used_bytes(self) -> int:
        return FAKE_CONTEXT_BYTES + (FAKE_WEIGHT_BYTES if self._weights is not None else 0) + (self._kv_bytes if self._kv else 0)
