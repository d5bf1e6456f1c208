"""The benchmark's pure parts: log parsing, the schedule, the tables."""

from __future__ import annotations

import json
import os
import tempfile
import unittest

from bench_logs import LogTail, llmux_switches, parse_engine_lines, parse_phase_line, phase_ms
from switch_bench import phase_table, schedule, switch_table

ENGINE_LINES = [
    "(EngineCore_DP0 pid=7) INFO 11-30 01:14:34 [abstract.py:250] It took 3.812345 seconds to fall asleep.",
    "(EngineCore_DP0 pid=7) INFO 11-30 01:14:34 [engine_core.py:1] engine phases: op=sleep level=1 alloc_pinned_s=3.700 copy_to_host_s=0.110 total_s=3.812",
    "(EngineCore_DP0 pid=7) INFO 11-30 01:14:40 [engine_core.py:2] engine phases: op=wake level=2 tags=weights alloc_gpu_s=0.010 total_s=0.020",
    "(EngineCore_DP0 pid=7) INFO 11-30 01:14:41 [engine_core.py:3] engine phases: op=reload read_file_s=1.200 read_gb_per_s=6.500 total_s=1.201",
    "(EngineCore_DP0 pid=7) INFO 11-30 01:14:41 [engine_core.py:2] engine phases: op=wake level=2 tags=kv_cache kv_alloc_s=0.010 total_s=0.011",
    "(APIServer pid=7) INFO 11-30 01:14:50 [engine_core.py:0] engine ready: 12.345 seconds after process start",
]


class LogTests(unittest.TestCase):
    def test_phase_line(self) -> None:
        self.assertEqual(parse_phase_line(ENGINE_LINES[1]),
                         {"op": "sleep", "level": 1, "alloc_pinned_s": 3.7, "copy_to_host_s": 0.11, "total_s": 3.812})
        self.assertEqual(parse_phase_line(ENGINE_LINES[2])["tags"], "weights")
        self.assertIsNone(parse_phase_line(ENGINE_LINES[0]))

    def test_engine_times_add_up_a_level2_wake(self) -> None:
        times = parse_engine_lines(ENGINE_LINES)
        self.assertAlmostEqual(times.sleep_s(), 3.812)
        self.assertAlmostEqual(times.wake_s(), 0.020 + 1.201 + 0.011)
        self.assertEqual(times.ready_s, [12.345])
        self.assertIsNone(parse_engine_lines([]).wake_s())

    def test_tail_reads_only_new_whole_lines(self) -> None:
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "x.log")
            tail = LogTail(path)
            tail.mark()
            self.assertEqual(tail.read_new(), [])
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("one\ntwo\nthr")
            self.assertEqual(tail.read_new(), ["one", "two"])
            with open(path, "a", encoding="utf-8") as handle:
                handle.write("ee\n")
            self.assertEqual(tail.read_new(), ["three"])
            tail.mark()
            self.assertEqual(tail.read_new(), [])

    def test_llmux_switch_lines(self) -> None:
        switch = {"level": 30, "switch_id": 2, "from": ["a"], "to": "b", "result": "ok", "duration_ms": 591,
                  "phases": [{"phase": "drain", "model": "a", "durationMs": 0}, {"phase": "sleep", "model": "a", "durationMs": 53},
                             {"phase": "start", "model": "b", "durationMs": 538}]}
        lines = ["not json", json.dumps({"switch_id": 2, "msg": "switch 2: a -> b"}), json.dumps(switch)]
        self.assertEqual(llmux_switches(lines), [switch])
        self.assertEqual(phase_ms(switch, "sleep"), 53.0)
        self.assertIsNone(phase_ms(switch, "wake"))


class BenchTests(unittest.TestCase):
    def test_schedule_visits_every_ordered_pair_in_each_round(self) -> None:
        steps = schedule(["a", "b", "c"], 2)
        self.assertEqual(steps[:3], ["a", "b", "c"])
        self.assertEqual(len(steps), 3 + 2 * 8)
        first_round = steps[2:3 + 8]  # from the model the cold starts left awake
        pairs = set(zip(first_round, first_round[1:]))
        self.assertEqual(pairs, {(x, y) for x in "abc" for y in "abc" if x != y})
        self.assertTrue(all(x != y for x, y in zip(steps, steps[1:])), "every step must switch")
        self.assertEqual(steps[3:7], ["a", "b", "a", "b"], "the level-1/level-2 wakes come first")

    def test_tables(self) -> None:
        record = {"kind": "sleep L1 -> wake L2", "to": "b", "client_ttfb_s": 2.5, "engine_sleep_s": 1.0, "engine_wake_s": 1.2,
                  "llmux_switch_ms": 2300.0, "gpu_used_mib": 86000, "answers_match": True,
                  "engine_phases": {"a": {"sleeps": [{"op": "sleep", "level": 1, "total_s": 1.0}], "wakes": [], "reloads": [], "loads": [], "ready_s": []}}}
        table = switch_table([record], {"b": [0.1]})
        self.assertIn("sleep L1 -> wake L2", table)
        row = table.splitlines()[-1].split()
        # client 2.4 (2.5 - 0.1), llmux 2.3, engine 1.0 + 1.2: overheads 0.1 and 0.2.
        self.assertEqual(row[5:], ["1", "2.400", "2.300", "1.000", "1.200", "0.100", "0.200", "86000", "1/1"])
        self.assertIn("sleep L1", phase_table([record], {"a": 1}))


if __name__ == "__main__":
    unittest.main()
