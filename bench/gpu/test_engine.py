"""The vLLM v0.13 contract of engine.py, checked against a real process over real sockets.

Run here with `python3 -m unittest test_engine` (fake backend); run.sh runs
`SleepCycleTests` and `CrashTests` against the torch backend on the GPU.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import unittest

from engine_test_support import BACKEND, PROBE, Engine, call, free_port

# A stream long enough to still be running when the test acts on it.
SLOW_TOKENS = {"fake": ["--fake-ms", "token=100"], "torch": []}[BACKEND]
SLOW_MAX_TOKENS = 200 if BACKEND == "fake" else 4000


class SleepCycleTests(unittest.TestCase):
    """Sleep and wake at each level on one engine; every test leaves it awake with its own weights."""

    engine: Engine

    @classmethod
    def setUpClass(cls) -> None:
        cls.engine = Engine(None)
        cls.addClassCleanup(cls.engine.stop)
        cls.reference = cls.engine.ask()

    def assert_awake(self) -> None:
        self.assertEqual(self.engine.get("/is_sleeping").json(), {"is_sleeping": False})

    def test_answer_is_deterministic_and_nonempty(self) -> None:
        self.assertTrue(self.reference.strip())
        self.assertEqual(self.engine.ask(), self.reference)

    def test_level1_sleep_and_wake_keep_the_answer(self) -> None:
        sleep = self.engine.post("/sleep?level=1")
        self.assertEqual((sleep.status, sleep.body), (200, b""))
        self.assertEqual(self.engine.get("/is_sleeping").json(), {"is_sleeping": True})
        self.assertIn('sleep_state="weights_offloaded"} 1', self.engine.get("/metrics").body.decode())
        wake = self.engine.post("/wake_up")
        self.assertEqual((wake.status, wake.body), (200, b""))
        self.assert_awake()
        self.assertEqual(self.engine.ask(), self.reference)

    def test_level2_full_sequence_keeps_the_answer(self) -> None:
        self.assertEqual(self.engine.post("/sleep?level=2").status, 200)
        self.assertIn('sleep_state="discard_all"} 1', self.engine.get("/metrics").body.decode())
        self.assertEqual(self.engine.post("/wake_up?tags=weights").status, 200)
        reload = self.engine.post("/collective_rpc", {"method": "reload_weights"})
        self.assertEqual((reload.status, reload.json()), (200, {"results": [None]}))
        self.assertEqual(self.engine.post("/wake_up?tags=kv_cache").status, 200)
        self.assertEqual(self.engine.post("/reset_prefix_cache").status, 200)
        self.assert_awake()
        self.assertEqual(self.engine.ask(), self.reference)

    def test_level2_without_reload_answers_gibberish_until_reloaded(self) -> None:
        # vLLM #29341: the weights come back as whatever the fresh memory holds.
        self.engine.post("/sleep?level=2")
        self.engine.post("/wake_up")
        self.assert_awake()
        self.assertNotEqual(self.engine.ask(), self.reference)
        self.assertEqual(self.engine.post("/collective_rpc", {"method": "reload_weights"}).status, 200)
        self.assertEqual(self.engine.ask(), self.reference)

    def test_second_sleep_does_not_go_deeper(self) -> None:
        self.engine.post("/sleep?level=1")
        self.assertEqual(self.engine.post("/sleep?level=2").status, 200)
        self.assertIn('sleep_state="weights_offloaded"} 1', self.engine.get("/metrics").body.decode())
        self.engine.post("/wake_up")
        self.assertEqual(self.engine.ask(), self.reference)  # level-1 weights, no reload needed

    def test_partial_wake_keeps_is_sleeping_true(self) -> None:
        self.engine.post("/sleep?level=1")
        self.engine.post("/wake_up?tags=weights")
        self.assertEqual(self.engine.get("/is_sleeping").json(), {"is_sleeping": True})
        self.engine.post("/wake_up?tags=kv_cache")
        self.assert_awake()
        self.assertEqual(self.engine.ask(), self.reference)

    def test_unknown_tag_or_awake_tag_makes_wake_a_noop(self) -> None:
        self.engine.post("/sleep?level=1")
        self.assertEqual(self.engine.post("/wake_up?tags=bogus").status, 200)
        self.assertEqual(self.engine.get("/is_sleeping").json(), {"is_sleeping": True})
        self.engine.post("/wake_up?tags=weights")
        self.assertEqual(self.engine.post("/wake_up?tags=weights&tags=kv_cache").status, 200)
        self.assertEqual(self.engine.get("/is_sleeping").json(), {"is_sleeping": True})
        self.engine.post("/wake_up?tags=kv_cache")
        self.assert_awake()

    def test_wake_when_awake_and_sleep_without_level(self) -> None:
        self.assertEqual(self.engine.post("/wake_up").status, 200)
        self.assertEqual(self.engine.post("/sleep").status, 200)  # no level = level 1
        self.assertIn('sleep_state="weights_offloaded"} 1', self.engine.get("/metrics").body.decode())
        self.engine.post("/wake_up")
        self.assertEqual(self.engine.ask(), self.reference)

    def test_sleep_right_after_an_answer_finds_nothing_running(self) -> None:
        # What llmux does: release the lease at the answer's last byte, then sleep at once.
        # The engine must be done with the request before that byte leaves (it once was not).
        for index in range(40 if BACKEND == "fake" else 10):
            if index % 2:
                self.engine.ask()
            else:
                events = call(self.engine.port, "POST", "/v1/chat/completions",
                              {"model": self.engine.name, **PROBE, "stream": True}).events()
                self.assertEqual(events[-1], "[DONE]")
            self.assertEqual(self.engine.post("/sleep?level=1").status, 200, f"crashed at round {index}")
            self.assertEqual(self.engine.post("/wake_up").status, 200)
        self.assertEqual(self.engine.ask(), self.reference)

    def test_non_integer_level_is_a_plain_500(self) -> None:
        response = self.engine.post("/sleep?level=deep")
        self.assertEqual((response.status, response.body), (500, b"Internal Server Error"))
        self.assert_awake()

    def test_log_has_the_phase_lines(self) -> None:
        self.engine.post("/sleep?level=1")
        self.engine.post("/wake_up")
        with open(self.engine.engine_log, encoding="utf-8") as handle:
            text = handle.read()
        self.assertRegex(text, r"It took \d+\.\d+ seconds to fall asleep\.")
        self.assertRegex(text, r"It took \d+\.\d+ seconds to wake up tags \['weights', 'kv_cache'\]\.")
        self.assertRegex(text, r"engine phases: op=sleep level=1 .*total_s=\d+\.\d+")
        self.assertRegex(text, r"engine ready: \d+\.\d+ seconds after process start")


class CrashTests(unittest.TestCase):
    """The two things that kill a real v0.13 server kill this one the same way."""

    def test_generation_while_asleep_crashes_the_server(self) -> None:
        engine = Engine(self)
        engine.post("/sleep?level=1")
        response = call(engine.port, "POST", "/v1/chat/completions", {"model": engine.name, **PROBE})
        self.assertEqual(response.status, 500)
        self.assertIn("EngineCore encountered an issue", response.json()["error"]["message"])
        self.assertEqual(engine.wait_exit(), 1)
        self.assertIn("illegal memory access", engine.output())

    def test_sleep_with_a_running_request_crashes_the_server(self) -> None:
        engine = Engine(self, *SLOW_TOKENS)
        result: dict = {}

        def stream() -> None:
            try:
                result["response"] = call(engine.port, "POST", "/v1/completions",
                                          {"model": engine.name, "prompt": "go", "stream": True, "max_tokens": SLOW_MAX_TOKENS})
            except OSError as error:  # the server may die before the end of the body
                result["error"] = error

        thread = threading.Thread(target=stream)
        thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "vllm:num_requests_running{" not in self._running(engine):
            time.sleep(0.02)
        self.assertEqual(self.engine_sleep(engine), 500)
        thread.join(60)
        self.assertEqual(engine.wait_exit(), 1)
        self.assertIn("sleep called with 1 running request", engine.output())
        if "response" in result:  # a 200 stream that ends with an error event, then [DONE]
            events = result["response"].events()
            self.assertEqual(events[-1], "[DONE]")
            self.assertIn("error", json.loads(events[-2]))

    @staticmethod
    def _running(engine: Engine) -> str:
        text = engine.get("/metrics").body.decode()
        return "vllm:num_requests_running{" if any(
            line.startswith("vllm:num_requests_running{") and not line.endswith(" 0") for line in text.splitlines()) else ""

    @staticmethod
    def engine_sleep(engine: Engine) -> int:
        return engine.post("/sleep?level=1").status

    def test_reload_while_weights_asleep_crashes_the_server(self) -> None:
        engine = Engine(self)
        engine.post("/sleep?level=2")
        self.assertEqual(engine.post("/collective_rpc", {"method": "reload_weights"}).status, 500)
        self.assertEqual(engine.wait_exit(), 1)

    def test_health_is_503_while_dying(self) -> None:
        engine = Engine(self, "--fake-ms", "token=0")
        engine.post("/sleep?level=1")
        call(engine.port, "POST", "/v1/completions", {"model": engine.name, "prompt": "x"})
        try:
            status = engine.get("/health").status
        except OSError:
            status = None  # already gone: also what a client may see
        self.assertIn(status, (503, None))
        self.assertEqual(engine.wait_exit(), 1)


if __name__ == "__main__":
    unittest.main()
