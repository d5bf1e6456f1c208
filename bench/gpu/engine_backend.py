"""What the HTTP server and the sleep state machine need from a model.

The contract logic (routes, sleep state, crashes) lives in `engine_core` and
`engine_http` and knows nothing about torch; a backend holds the weights and
does the memory work of each phase. Two backends: `torch` (real weights on
the GPU) and `fake` (pure Python, for tests on machines without torch).

Every method that does a phase returns a dict of its timings in seconds
(`{"alloc_pinned_s": 3.8, "copy_s": 0.12, ...}`) that the engine logs on one
line, so the benchmark can read each phase's own cost.
"""

from __future__ import annotations

from typing import Callable, Protocol

TAGS = ("weights", "kv_cache")


class StartupError(Exception):
    """The engine cannot start; the message is logged as vLLM logs its fatal start-up errors."""


class Backend(Protocol):
    vocab_size: int
    weight_bytes: int

    def load(self) -> dict[str, float]:
        """Check memory, build or read the weights, reserve the KV cache pool. Raises StartupError."""

    def prepare_weights_file(self) -> dict[str, float]:
        """Build the weights and write the weights file if it does not exist yet (no server)."""

    def close(self) -> None:
        """Release what the backend holds (used by `build-weights` between models)."""

    def generate(self, prompt_ids: list[int], max_tokens: int, emit: Callable[[int], bool]) -> str:
        """Greedy decoding: call `emit(id)` per token (False = stop early); return the finish reason."""

    def sleep(self, level: int) -> dict[str, float]:
        """Level 1: weights to host memory; level 2: weights dropped. The KV cache pool is freed at both."""

    def wake(self, tags: list[str]) -> dict[str, float]:
        """Bring the given tags back. `weights` after a level-2 sleep comes back as garbage until `reload_weights`."""

    def reload_weights(self) -> dict[str, float]:
        """Re-read the weights from the weights file into the (allocated) weight memory."""

    def used_bytes(self) -> int:
        """GPU memory this process holds now (what nvidia-smi would show for it)."""

    def describe(self) -> str:
        """One line for the start-up log: shape, size, weights file."""


def create_backend(args, log) -> Backend:
    if args.backend == "fake":
        from backend_fake import FakeBackend

        return FakeBackend(args, log)
    from backend_torch import TorchBackend

    return TorchBackend(args, log)


def format_phases(phases: dict[str, float]) -> str:
    """`alloc_pinned_s=3.812 copy_s=0.121`: the form run.sh parses."""
    return " ".join(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}" for key, value in phases.items())
