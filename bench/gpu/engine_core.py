"""The sleep state machine of vLLM v0.13's executor, without HTTP and without torch.

Follows `docs/vllm-api.md` (in the shared docs): a second sleep is a no-op
(level 1 then level 2 does not go deeper), `wake_up` with an unknown tag or one
not asleep is a no-op, `is_sleeping` stays true until every tag is awake, and
the two things that crash a real v0.13 server crash this one the same way: a
generation request that reaches a sleeping engine (vLLM #15483, #28714) and a
`/sleep` while requests run (vLLM #28714). A sleep, wake or reload holds back
new requests until it is done, as vLLM's engine core finishes one call before
it admits the next request; `/pause` holds them back until `/resume`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from engine_backend import TAGS, Backend, format_phases

GIB = 1024**3
ILLEGAL_ACCESS = "RuntimeError: CUDA error: an illegal memory access was encountered"


@dataclass
class Reply:
    """How an engine call ends, for the HTTP layer: ok, an error answer, or the engine died."""

    kind: str  # "ok" | "error" | "crashed"
    status: int = 200
    message: str = ""
    plain: bool = False


OK = Reply("ok")
CRASHED = Reply("crashed")


@dataclass
class Request:
    """A generation request admitted into the engine."""

    id: str
    aborted: str | None = None  # "paused" or "engine_dead" once stopped from outside
    started: float = field(default_factory=time.monotonic)


class EngineCore:
    def __init__(self, backend: Backend, log, on_crash: Callable[[str], None], sleep_mode: bool) -> None:
        self.backend = backend
        self._log = log
        self._on_crash = on_crash
        self._sleep_mode = sleep_mode
        self._cond = threading.Condition()
        self._gpu = threading.Lock()  # one forward pass at a time: answers stay deterministic
        self.sleeping_tags: set[str] = set()
        self.sleep_level = 0
        self.paused = False
        self._engine_call = False
        self.running: dict[str, Request] = {}
        self.waiting = 0
        self.dead = False
        self.counts = {"completed": 0, "cancelled": 0, "failed": 0, "sleeps": 0, "wakes": 0, "reloads": 0}
        self.prompt_tokens = 0
        self.generation_tokens = 0

    # --- state -------------------------------------------------------------
    @property
    def is_sleeping(self) -> bool:
        return bool(self.sleeping_tags)

    @property
    def sleep_state(self) -> str:
        if not self.sleeping_tags:
            return "awake"
        return "weights_offloaded" if self.sleep_level == 1 else "discard_all"

    def crash(self, reason: str, lines: list[str]) -> None:
        """Die the way vLLM's engine core dies: error lines, running requests fail, then exit."""
        with self._cond:
            if self.dead:
                return
            self.dead = True
            for request in self.running.values():
                request.aborted = "engine_dead"
            self._cond.notify_all()
        for line in lines:
            self._log.error("core.py:900", line, "EngineCore_DP0")
        self._log.error("core.py:905", "EngineCore encountered a fatal error.", "EngineCore_DP0")
        self._log.error(
            "async_llm.py:500",
            "AsyncLLM output_handler failed.\nvllm.v1.engine.exceptions.EngineDeadError: "
            "EngineCore encountered an issue. See stack trace (above) for the root cause.",
        )
        self._on_crash(reason)

    def _begin_call(self) -> None:
        self._engine_call = True

    def _end_call(self) -> None:
        with self._cond:
            self._engine_call = False
            self._cond.notify_all()

    # --- sleep and wake ----------------------------------------------------
    def sleep(self, level: int) -> Reply:
        with self._cond:
            if self.dead:
                return CRASHED
            running = len(self.running)
            if running == 0 and not self.sleeping_tags:
                self._begin_call()
        if running > 0:
            # vLLM #28714: /sleep with running requests crashes the engine core.
            self.crash("sleep_with_running_requests", [ILLEGAL_ACCESS, f"(sleep called with {running} running request(s))"])
            return CRASHED
        if self.sleeping_tags:
            self._log.warning("abstract.py:240", "Executor is already sleeping.", "EngineCore_DP0")
            return OK
        # vLLM offloads the weights only at level 1; any other level discards everything.
        effective = 1 if level == 1 else 2
        used_before = self.backend.used_bytes()
        started = time.perf_counter()
        try:
            phases = self.backend.sleep(effective) if self._sleep_mode else {}
        except Exception as error:  # noqa: BLE001 - a failed sleep kills a real engine too
            self._end_call()
            self.crash("sleep_failed", [f"{type(error).__name__}: {error}"])
            return CRASHED
        elapsed = time.perf_counter() - started
        with self._cond:
            self.sleeping_tags = set(TAGS)
            self.sleep_level = effective
            self.counts["sleeps"] += 1
        self._end_call()
        used_after = self.backend.used_bytes()
        self._log.info("gpu_worker.py:120", f"Sleep mode freed {(used_before - used_after) / GIB:.2f} GiB memory, "
                       f"{used_after / GIB:.2f} GiB memory is still in use.", "EngineCore_DP0")
        self._log.info("abstract.py:250", f"It took {elapsed:.6f} seconds to fall asleep.", "EngineCore_DP0")
        self._log.info("engine_core.py:1", f"engine phases: op=sleep level={effective} {format_phases({**phases, 'total_s': elapsed})}", "EngineCore_DP0")
        return OK

    def wake_up(self, tags: list[str]) -> Reply:
        with self._cond:
            if self.dead:
                return CRASHED
            if not self.sleeping_tags:
                self._log.warning("abstract.py:260", "Executor is not sleeping.", "EngineCore_DP0")
                return OK
            for tag in tags:
                if tag not in self.sleeping_tags:
                    self._log.warning("abstract.py:265", f"Tag {tag} is not in sleeping tags {sorted(self.sleeping_tags)}", "EngineCore_DP0")
                    return OK
            waking = list(dict.fromkeys(tags)) if tags else sorted(self.sleeping_tags, key=TAGS.index)
            level = self.sleep_level
            self._begin_call()
        started = time.perf_counter()
        try:
            phases = self.backend.wake(waking) if self._sleep_mode else {}
        except Exception as error:  # noqa: BLE001 - CUDA OOM on wake kills a real engine
            self._end_call()
            self.crash("wake_failed", [f"{type(error).__name__}: {error}"])
            return CRASHED
        elapsed = time.perf_counter() - started
        with self._cond:
            for tag in waking:
                self.sleeping_tags.discard(tag)
            if not self.sleeping_tags:
                self.sleep_level = 0
                self.counts["wakes"] += 1
        self._end_call()
        self._log.info("abstract.py:280", f"It took {elapsed:.6f} seconds to wake up tags {waking}.", "EngineCore_DP0")
        self._log.info("engine_core.py:2", f"engine phases: op=wake level={level} tags={','.join(waking)} "
                       f"{format_phases({**phases, 'total_s': elapsed})}", "EngineCore_DP0")
        if len(tags) != len(set(tags)):
            # Python's set.remove raises KeyError on the repeated tag, after the wake happened.
            return Reply("error", 500, "Internal Server Error", plain=True)
        return OK

    def reload_weights(self) -> Reply:
        with self._cond:
            if self.dead:
                return CRASHED
            weights_asleep = "weights" in self.sleeping_tags
            if not weights_asleep:
                self._begin_call()
        if weights_asleep:
            # Loading into unmapped weight memory: an illegal access, like any other.
            self.crash("reload_while_asleep", [ILLEGAL_ACCESS])
            return CRASHED
        self._log.info("gpu_model_runner.py:3000", "Reloading weights inplace...", "EngineCore_DP0")
        started = time.perf_counter()
        try:
            phases = self.backend.reload_weights()
        except Exception as error:  # noqa: BLE001 - answered as vLLM answers a failing RPC
            self._end_call()
            self._log.error("core.py:800", f"reload_weights failed: {type(error).__name__}: {error}", "EngineCore_DP0")
            return Reply("error", 500, f"{type(error).__name__}: {error}")
        elapsed = time.perf_counter() - started
        with self._cond:
            self.counts["reloads"] += 1
        self._end_call()
        self._log.info("engine_core.py:3", f"engine phases: op=reload {format_phases({**phases, 'total_s': elapsed})}", "EngineCore_DP0")
        return OK

    # --- pause -------------------------------------------------------------
    def pause(self, wait_for_inflight: bool) -> None:
        with self._cond:
            self.paused = True
            if not wait_for_inflight:
                for request in self.running.values():
                    request.aborted = "paused"
                return
            while self.running and not self.dead:
                self._cond.wait(0.5)

    def resume(self) -> None:
        with self._cond:
            self.paused = False
            self._cond.notify_all()

    # --- requests ----------------------------------------------------------
    def admit(self, request: Request, client_gone: Callable[[], bool]) -> str:
        """Wait while paused or while an engine call runs. Returns "ok", "cancelled" or "dead"."""
        with self._cond:
            self.waiting += 1
            try:
                while (self.paused or self._engine_call) and not self.dead:
                    self._cond.wait(0.1)
                    if client_gone():
                        self.counts["cancelled"] += 1
                        return "cancelled"
            finally:
                self.waiting -= 1
            if self.dead:
                return "dead"
            asleep = bool(self.sleeping_tags)
            if not asleep:
                self.running[request.id] = request
        if asleep:
            # vLLM #15483, #28714: a request that reaches a sleeping engine is an illegal memory access.
            self.counts["failed"] += 1
            self.crash("request_while_asleep", [
                ILLEGAL_ACCESS,
                "CUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.",
            ])
            return "dead"
        return "ok"

    def generate(self, request: Request, prompt_ids: list[int], max_tokens: int, emit: Callable[[int], bool]) -> str:
        """Run the backend for an admitted request; returns the finish reason (or "abort")."""
        with self._gpu:
            if request.aborted:
                return "abort"

            def guarded(token: int) -> bool:
                if request.aborted:
                    return False
                self.generation_tokens += 1
                return emit(token)

            reason = self.backend.generate(prompt_ids, max_tokens, guarded)
        self.prompt_tokens += len(prompt_ids)
        return "abort" if request.aborted else reason

    def finish(self, request: Request, outcome: str) -> None:
        with self._cond:
            if self.running.pop(request.id, None) is not None:
                self.counts[outcome] += 1
            self._cond.notify_all()
