"""llmux drives engine.py (fake backend) as its `vllm_command`: switches, the benchmark, the validator.

Skipped when the built CLI (`packages/cli/dist/cli.js`) or `node` is absent:
run `pnpm -F @llmux/cli... build` first (or `pnpm build`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from engine_test_support import call, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CLI = os.path.join(REPO, "packages", "cli", "dist", "cli.js")
NODE = shutil.which("node")


def engine_pids_with(marker: str) -> list[int]:
    """Processes whose environment names `marker` (this test's temp dir): engines llmux left behind."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if marker.encode() in handle.read():
                    pids.append(int(entry))
        except OSError:
            continue
    return pids


@unittest.skipUnless(os.path.exists(CLI) and NODE, "needs the built llmux CLI (packages/cli/dist/cli.js) and node")
class LlmuxDrivesTheEngine(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="llmux-gpu-bench-test-")
        self.addCleanup(self.cleanup)
        self.config = os.path.join(self.dir, "config.json")
        subprocess.run([sys.executable, os.path.join(HERE, "bench_config.py"), "--out", self.config,
                        "--engine", os.path.join(HERE, "vllm-engine"), "--log-dir", os.path.join(self.dir, "logs"),
                        "--cache-dir", os.path.join(self.dir, "cache"), "--backend", "fake",
                        "--fake-ms", "sleep=30,wake=20,reload=20,load=200"], check=True)
        with open(self.config, encoding="utf-8") as handle:
            config = json.load(handle)
        config["port"] = free_port()
        for model in config["models"].values():
            model["port"] = free_port()
            model["env"]["LLMUX_ENGINE_PYTHON"] = sys.executable
        with open(self.config, "w", encoding="utf-8") as handle:
            json.dump(config, handle)
        self.url = f"http://127.0.0.1:{config['port']}"
        self.llmux: subprocess.Popen | None = None

    def start_llmux(self) -> None:
        self.llmux_log = os.path.join(self.dir, "llmux.log")
        with open(self.llmux_log, "wb") as out:
            self.llmux = subprocess.Popen([NODE, CLI, "--config", self.config, "--log-format", "json",
                                           "--state-file", os.path.join(self.dir, "state.json")],
                                          stdout=out, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True)
        port = int(self.url.rsplit(":", 1)[1])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.assertIsNone(self.llmux.poll(), "llmux exited at start-up")
            try:
                if call(port, "GET", "/health", timeout=5).status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.fail("llmux did not start")

    def cleanup(self) -> None:
        if self.llmux is not None and self.llmux.poll() is None:
            self.llmux.send_signal(signal.SIGTERM)
            try:
                self.llmux.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.llmux.pid, signal.SIGKILL)
                self.llmux.wait()
        for pid in engine_pids_with(self.dir):
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_switch_benchmark_through_llmux(self) -> None:
        self.start_llmux()
        result = os.path.join(self.dir, "result.json")
        run = subprocess.run([sys.executable, os.path.join(HERE, "switch_bench.py"), "--url", self.url, "--config", self.config,
                              "--llmux-log", self.llmux_log, "--rounds", "1", "--out-json", result],
                             capture_output=True, text=True, timeout=300)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("Switches through llmux", run.stdout)
        with open(result, encoding="utf-8") as handle:
            records = json.load(handle)["records"]
        kinds = {record["kind"] for record in records}
        self.assertLessEqual({"none -> start", "stop -> wake L1", "sleep L1 -> wake L2", "sleep L2 -> start",
                              "sleep L1 -> start", "stop -> wake L2"}, kinds)
        for record in records:
            self.assertTrue(record["answers_match"], record)
            self.assertIsNotNone(record["engine_wake_s"], record)
            self.assertIsNotNone(record["llmux_switch_ms"], record)
            if record["kind"].startswith("sleep"):
                self.assertIsNotNone(record["engine_sleep_s"], record)
        # Three different models: three different answers.
        answers = {record["to"]: record for record in records}
        self.assertEqual(len(answers), 3)
        self.llmux.send_signal(signal.SIGTERM)
        self.assertEqual(self.llmux.wait(timeout=60), 0)
        time.sleep(0.5)
        self.assertEqual(engine_pids_with(self.dir), [], "no engine may outlive llmux")

    def test_a_killed_llmux_s_engine_is_reaped_at_the_next_start(self) -> None:
        self.start_llmux()
        port = int(self.url.rsplit(":", 1)[1])
        response = call(port, "POST", "/v1/completions", {"model": "engine-l1", "prompt": "hi", "max_tokens": 2})
        self.assertEqual(response.status, 200)
        orphans = engine_pids_with(self.dir)
        self.assertEqual(len(orphans), 1)
        self.llmux.kill()  # SIGKILL: llmux cannot stop its engine
        self.llmux.wait()
        self.assertEqual(engine_pids_with(self.dir), orphans, "the engine outlives a killed llmux")
        self.start_llmux()  # same state file: it must recognise and stop the recorded engine
        deadline = time.monotonic() + 60
        while engine_pids_with(self.dir) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(engine_pids_with(self.dir), [])
        with open(self.llmux_log, encoding="utf-8") as handle:
            self.assertIn("stopped an orphaned vLLM process group", handle.read())

    def test_validator_runs_levels_1_and_2_on_the_engine(self) -> None:
        run = subprocess.run([NODE, CLI, "--config", self.config, "--validate", "engine-l1", "--levels", "1,2",
                              "--nvidia-smi", os.path.join(self.dir, "no-nvidia-smi")],
                             capture_output=True, text=True, timeout=300, cwd=REPO)
        # 3: nothing failed, but GPU memory could not be checked (there is no GPU here).
        self.assertEqual(run.returncode, 3, run.stdout + run.stderr)
        rows = [line.split() for line in run.stdout.splitlines() if line.startswith(("L1 ", "L2 "))]
        self.assertEqual([row[0] for row in rows], ["L1", "L2"])
        self.assertTrue(all("match" in row for row in rows), run.stdout)


if __name__ == "__main__":
    unittest.main()
