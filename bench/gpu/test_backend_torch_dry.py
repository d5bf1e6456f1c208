"""The torch backend's control flow, run on a numpy stand-in for torch (see torch_stand_in.py).

Catches a slip (a wrong attribute, a lost shape, a phase that never restores
the weights) before a GPU run; says nothing about GPU memory or speed.
Skipped where numpy is missing.
"""

from __future__ import annotations

import os
import sys
import tempfile
import unittest
from unittest import mock

try:
    import numpy  # noqa: F401

    HAVE_NUMPY = True
except ImportError:
    HAVE_NUMPY = False


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, _where: str, message: str, _source: str = "") -> None:
        self.lines.append(message)

    warning = error = info


@unittest.skipUnless(HAVE_NUMPY, "needs numpy for the torch stand-in")
class TorchBackendDryRun(unittest.TestCase):
    def setUp(self) -> None:
        import torch_stand_in
        from engine_args import parse_serve_args

        modules = dict(sys.modules)
        torch_stand_in.install(modules)
        patcher = mock.patch.dict(sys.modules, modules, clear=True)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.stand_in = torch_stand_in
        torch_stand_in._state["host_cache_emptied"] = 0
        torch_stand_in._state["free"] = []
        self.cache = tempfile.TemporaryDirectory()
        self.addCleanup(self.cache.cleanup)
        self.args = lambda *extra: parse_serve_args(["serve", "dry/model", "--size-gb", "0.05", "--cache-dir", self.cache.name, *extra], env={})

    def backend(self, *extra: str):
        from backend_torch import TorchBackend

        return TorchBackend(self.args(*extra), Log())

    def answer(self, backend) -> list[int]:
        tokens: list[int] = []
        backend.generate([1, 50, 60, 70], 6, lambda token: tokens.append(token) is None)
        return tokens

    def test_every_phase_keeps_or_restores_the_answer(self) -> None:
        first = self.backend()
        phases = first.load()
        self.assertIn("save_file_s", phases)
        reference = self.answer(first)
        self.assertEqual(len(reference), 6)
        self.assertGreater(len(set(reference)), 1)

        sleep = first.sleep(1)
        self.assertTrue({"free_cached_pinned_s", "alloc_pinned_s", "copy_to_host_s", "free_gpu_s"} <= set(sleep))
        self.assertEqual(sleep["host_cache_emptied"], 1)
        self.assertTrue(all(param.numel() == 0 for _name, param in first._params), "weights must leave the GPU")
        first.wake(["weights", "kv_cache"])
        self.assertEqual(self.answer(first), reference)
        self.assertEqual(first._host, {}, "alloc mode releases the pinned buffers after the wake")

        first.sleep(2)
        wake = first.wake(["weights"])
        self.assertIn("garbage_fill_s", wake)
        self.assertNotEqual(self.answer(first), reference)
        first.reload_weights()
        first.wake(["kv_cache"])
        self.assertEqual(self.answer(first), reference)

        second = self.backend()
        self.assertIn("read_file_s", second.load())
        self.assertEqual(self.answer(second), reference)

    def test_keep_mode_allocates_pinned_buffers_once(self) -> None:
        backend = self.backend("--pinned-buffers", "keep")
        backend.load()
        reference = self.answer(backend)
        self.assertNotIn("free_cached_pinned_s", backend.sleep(1))
        backend.wake(["weights", "kv_cache"])
        backend.sleep(1)
        buffers = dict(backend._host)
        backend.wake(["weights", "kv_cache"])
        backend.sleep(1)
        self.assertTrue(all(backend._host[name] is buffer for name, buffer in buffers.items()))
        backend.wake(["weights", "kv_cache"])
        self.assertEqual(self.answer(backend), reference)
        self.assertEqual(self.stand_in._state["host_cache_emptied"], 0)

    def test_start_up_memory_check(self) -> None:
        from engine_backend import StartupError

        self.stand_in._state["free"] = [2**30] * 3
        with self.assertRaises(StartupError) as caught:
            self.backend().load()  # vLLM's behaviour: one look, then fail
        self.assertIn("less than desired GPU memory utilization", str(caught.exception))
        self.stand_in._state["free"] = [2**30] * 3
        backend = self.backend("--startup-memory-wait-s", "30")
        backend.load()
        self.assertTrue(any("waited" in line for line in backend._log.lines))

    def test_build_weights_then_close(self) -> None:
        backend = self.backend()
        phases = backend.prepare_weights_file()
        self.assertIn("save_file_s", phases)
        backend.close()
        self.assertTrue(any(name.endswith(".safetensors") for name in os.listdir(self.cache.name)))
        self.assertEqual(self.backend().prepare_weights_file().keys(), {"import_s"})


if __name__ == "__main__":
    unittest.main()
