#!/usr/bin/env python3
"""The switching benchmark through llmux: what a client waits for a switch, against the engine's own times.

    python3 switch_bench.py --url http://127.0.0.1:3300 --config config.json \
        --llmux-log llmux.log [--rounds 2] [--budget-s 200] [--nvidia-smi nvidia-smi] [--out-json result.json]

Sends streaming chat requests through llmux, one model after the other, so
that every request causes one switch; after each, a second request to the
same model measures the no-switch time. For each switch it reads the engine
logs (its own sleep, wake, reload and start times, see bench_logs.py) and
llmux's JSON log (its switch duration), checks the answer against that
model's first answer, and reads nvidia-smi. Prints one table per kind of
switch and one of the engine's own phases. Standard library only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit

from bench_logs import LogTail, llmux_switches, parse_engine_lines

PROMPT = "What is the capital of France? Answer in one word."


def stream_chat(url: str, model: str, max_tokens: int, timeout: float) -> dict:
    """One streaming chat request; time to the first `data:` event (not SSE comments) and to the end."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": PROMPT}], "temperature": 0,
                       "seed": 42, "max_tokens": max_tokens, "stream": True})
    started = time.perf_counter()
    first = None
    text = []
    error = None
    try:
        connection.request("POST", "/v1/chat/completions", body=body, headers={"content-type": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            return {"status": response.status, "error": response.read()[:500].decode(errors="replace"),
                    "ttfb_s": None, "total_s": time.perf_counter() - started, "text": None}
        while True:
            line = response.readline()
            if not line:
                break
            if not line.startswith(b"data: "):
                continue  # blank separators and llmux's keep-alive comments during a switch
            if first is None:
                first = time.perf_counter() - started
            payload = line[6:].strip()
            if payload == b"[DONE]":
                break
            event = json.loads(payload)
            if "error" in event:
                error = event["error"]
                continue
            for choice in event.get("choices", []):
                text.append(choice.get("delta", {}).get("content") or "")
        return {"status": 200, "error": error, "ttfb_s": first, "total_s": time.perf_counter() - started,
                "text": None if error else "".join(text)}
    except OSError as exc:
        return {"status": None, "error": f"{type(exc).__name__}: {exc}", "ttfb_s": first,
                "total_s": time.perf_counter() - started, "text": None}
    finally:
        connection.close()


def gpu_used_mib(command: str | None) -> int | None:
    if not command:
        return None
    try:
        out = subprocess.run([command, "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=15, check=True).stdout
        return sum(int(float(line)) for line in out.split() if line.strip())
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def schedule(names: list[str], rounds: int) -> list[str]:
    """Cold-start each model, then rounds that each cover every ordered pair of models.

    The cheap switches between the level-1 and level-2 models come first in a
    round and the two cold starts of the level-3 model last, so a run cut short
    by its time budget still has the wakes it cares most about.
    """
    first, second, third = names
    steps = [first, second, third]
    for _ in range(rounds):
        steps += [first, second, first, second, third, second, first, third]
    return steps


class Bench:
    def __init__(self, options: argparse.Namespace) -> None:
        with open(options.config, encoding="utf-8") as handle:
            config = json.load(handle)
        self.options = options
        self.models = dict(sorted(config["models"].items(), key=lambda item: item[1].get("sleep_level", 3)))
        self.levels = {name: model.get("sleep_level", 3) for name, model in self.models.items()}
        self.tails = {name: LogTail(model["env"]["LLMUX_ENGINE_LOG"]) for name, model in self.models.items()}
        self.llmux = LogTail(options.llmux_log)
        self.references: dict[str, str] = {}
        self.records: list[dict] = []
        self.warm_ttfb: dict[str, list[float]] = {name: [] for name in self.models}

    def step(self, previous: str | None, target: str) -> dict:
        for tail in [*self.tails.values(), self.llmux]:
            tail.mark()
        result = stream_chat(self.options.url, target, self.options.max_tokens, self.options.request_timeout_s)
        time.sleep(0.3)  # let the last log lines reach the files
        engines = {name: parse_engine_lines(tail.read_new()) for name, tail in self.tails.items()}
        switches = llmux_switches(self.llmux.read_new())
        warm = stream_chat(self.options.url, target, self.options.max_tokens, self.options.request_timeout_s)
        if warm["ttfb_s"] is not None:
            self.warm_ttfb[target].append(warm["ttfb_s"])
        target_times = engines[target]
        cold = bool(target_times.ready_s)
        wake = "start" if cold else f"wake L{self.levels[target]}"
        if previous is None or previous == target:
            evict, sleep_s = "none", None
        elif self.levels[previous] == 3:
            evict, sleep_s = "stop", None
        else:
            evict, sleep_s = f"sleep L{self.levels[previous]}", engines[previous].sleep_s()
        wake_s = target_times.ready_s[-1] if cold else target_times.wake_s()
        if self.references.get(target) is None and result["text"]:
            self.references[target] = result["text"]
        answers = [result["text"], warm["text"]]
        record = {
            "from": previous, "to": target, "kind": f"{evict} -> {wake}", "status": result["status"], "error": result["error"],
            "client_ttfb_s": result["ttfb_s"], "client_total_s": result["total_s"], "warm_ttfb_s": warm["ttfb_s"],
            "engine_sleep_s": sleep_s, "engine_wake_s": wake_s,
            "engine_phases": {name: {"sleeps": t.sleeps, "wakes": t.wakes, "reloads": t.reloads, "loads": t.loads, "ready_s": t.ready_s}
                              for name, t in engines.items() if t.sleeps or t.wakes or t.reloads or t.loads or t.ready_s},
            "llmux_switch_ms": switches[-1]["duration_ms"] if switches else None,
            "llmux_phases": switches[-1]["phases"] if switches else [],
            "answers_match": all(answer is not None and answer == self.references.get(target) for answer in answers),
            "gpu_used_mib": gpu_used_mib(self.options.nvidia_smi),
        }
        self.records.append(record)
        return record

    def run(self) -> None:
        started = time.monotonic()
        previous = None
        longest = 0.0
        for target in schedule(list(self.models), self.options.rounds):
            elapsed = time.monotonic() - started
            if self.records and elapsed + 1.5 * longest > self.options.budget_s:
                print(f"# stopping early: {elapsed:.0f} s used of a {self.options.budget_s:.0f} s budget", flush=True)
                break
            step_started = time.monotonic()
            record = self.step(previous, target)
            longest = max(longest, time.monotonic() - step_started)
            print(f"# {record['kind']:<22} {previous or '-'} -> {target}: client {fmt(record['client_ttfb_s'])} s, "
                  f"llmux {fmt(ms_to_s(record['llmux_switch_ms']))} s, engine sleep {fmt(record['engine_sleep_s'])} s, "
                  f"wake {fmt(record['engine_wake_s'])} s, answers {'match' if record['answers_match'] else 'MISMATCH'}"
                  + (f", error {record['error']}" if record["error"] else ""), flush=True)
            previous = target


def ms_to_s(value: float | None) -> float | None:
    return None if value is None else value / 1000.0


def fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def switch_table(records: list[dict], warm: dict[str, list[float]]) -> str:
    header = ("Switch", "n", "Client (s)", "llmux (s)", "Eng sleep", "Eng wake", "llmux-eng", "client-eng", "GPU MiB", "Answers")
    rows = []
    kinds = list(dict.fromkeys(record["kind"] for record in records))
    for kind in kinds:
        group = [r for r in records if r["kind"] == kind]
        client = [None if r["client_ttfb_s"] is None else r["client_ttfb_s"] - (median(warm[r["to"]]) or 0.0) for r in group]
        engine = [None if r["engine_wake_s"] is None else (r["engine_sleep_s"] or 0.0) + r["engine_wake_s"] for r in group]
        llmux = [ms_to_s(r["llmux_switch_ms"]) for r in group]
        rows.append((kind, str(len(group)), fmt(median(client)), fmt(median(llmux)), fmt(median([r["engine_sleep_s"] for r in group])),
                     fmt(median([r["engine_wake_s"] for r in group])),
                     fmt(median([None if l is None or e is None else l - e for l, e in zip(llmux, engine)])),
                     fmt(median([None if c is None or e is None else c - e for c, e in zip(client, engine)])),
                     fmt(median([r["gpu_used_mib"] for r in group]), 0),
                     f"{sum(r['answers_match'] for r in group)}/{len(group)}"))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)) for row in [header, *rows]]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def phase_table(records: list[dict], levels: dict[str, int]) -> str:
    """Medians of the engine's own phases, per operation and level."""
    groups: dict[str, dict[str, list[float]]] = {}
    for record in records:
        for name, phases in record["engine_phases"].items():
            for op in ("sleeps", "wakes", "reloads", "loads"):
                for entry in phases[op]:
                    label = {"sleeps": "sleep", "wakes": "wake", "reloads": "reload", "loads": "start"}[op]
                    label = f"{label} L{levels[name]}" + (f" tags={entry['tags']}" if "tags" in entry else "")
                    for key, value in entry.items():
                        if isinstance(value, float):
                            groups.setdefault(label, {}).setdefault(key, []).append(value)
    lines = []
    for label in sorted(groups):
        cells = " ".join(f"{key}={statistics.median(values):.3f}" for key, values in groups[label].items())
        lines.append(f"{label:<32} n={len(groups[label].get('total_s', []))} {cells}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--llmux-log", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--budget-s", type=float, default=200.0)
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--request-timeout-s", type=float, default=300.0)
    parser.add_argument("--nvidia-smi")
    parser.add_argument("--out-json")
    options = parser.parse_args()
    bench = Bench(options)
    bench.run()
    print("\nSwitches through llmux (medians; seconds; client = time to first event minus the same model's no-switch time;"
          "\nllmux = its switch duration; Eng = the engine's own sleep and wake/start; *-eng = what is not the engine's work)\n")
    print(switch_table(bench.records, bench.warm_ttfb))
    print("\nEngine phases (medians, seconds; *_gb_per_s = GB/s)\n")
    print(phase_table(bench.records, bench.levels))
    warm = {name: median(values) for name, values in bench.warm_ttfb.items()}
    print("\nNo-switch time to first event per model (s): " + ", ".join(f"{name} {fmt(value)}" for name, value in warm.items()))
    if options.out_json:
        with open(options.out_json, "w", encoding="utf-8") as handle:
            json.dump({"records": bench.records, "warm_ttfb_s": warm, "levels": bench.levels}, handle, indent=1)
    failed = [r for r in bench.records if r["status"] != 200 or r["error"] or not r["answers_match"]]
    return 1 if failed or not bench.records else 0


if __name__ == "__main__":
    sys.exit(main())
