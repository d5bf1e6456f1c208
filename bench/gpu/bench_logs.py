"""Read what the engines and llmux wrote: the engine's own phase timings and llmux's switch lines.

Engine log lines (see engine_core.py and README "Engine log lines"):
    ... It took 3.812345 seconds to fall asleep.
    ... It took 0.123456 seconds to wake up tags ['weights', 'kv_cache'].
    ... engine phases: op=sleep level=1 alloc_pinned_s=3.700 copy_to_host_s=0.110 ... total_s=3.812
    ... engine phases: op=reload read_file_s=1.200 read_gb_per_s=6.5 total_s=1.201
    ... engine ready: 12.345 seconds after process start
llmux's log is JSON lines (`--log-format json`); a finished switch is the
line with `switch_id`, `result` and `phases`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

_PHASES = re.compile(r"engine phases: op=(\w+)((?: [\w.]+=[^\s]+)*)")
_READY = re.compile(r"engine ready: ([\d.]+) seconds after process start")


@dataclass
class EngineTimes:
    """What one engine did between two offsets of its log."""

    sleeps: list[dict] = field(default_factory=list)  # each: {"level": 1, "total_s": .., phases...}
    wakes: list[dict] = field(default_factory=list)  # each: {"level": 2, "tags": "weights", "total_s": ..}
    reloads: list[dict] = field(default_factory=list)
    loads: list[dict] = field(default_factory=list)
    ready_s: list[float] = field(default_factory=list)

    def sleep_s(self) -> float | None:
        return sum(entry["total_s"] for entry in self.sleeps) if self.sleeps else None

    def wake_s(self) -> float | None:
        """Wake calls plus the reload between them: the engine's side of a whole wake."""
        parts = self.wakes + self.reloads
        return sum(entry["total_s"] for entry in parts) if parts else None


def parse_phase_line(line: str) -> dict | None:
    match = _PHASES.search(line)
    if not match:
        return None
    entry: dict = {"op": match.group(1)}
    for pair in match.group(2).split():
        key, _, value = pair.partition("=")
        try:
            entry[key] = float(value) if key.endswith("_s") or key.endswith("_per_s") or key == "level" else value
        except ValueError:
            entry[key] = value
    if "level" in entry:
        entry["level"] = int(entry["level"])
    return entry


def parse_engine_lines(lines: list[str]) -> EngineTimes:
    times = EngineTimes()
    for line in lines:
        entry = parse_phase_line(line)
        if entry is not None:
            {"sleep": times.sleeps, "wake": times.wakes, "reload": times.reloads, "load": times.loads}.get(entry["op"], []).append(entry)
            continue
        ready = _READY.search(line)
        if ready:
            times.ready_s.append(float(ready.group(1)))
    return times


class LogTail:
    """Reads a growing log file from a remembered offset (the file may not exist yet)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        self.offset = os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def read_new(self) -> list[str]:
        if not os.path.exists(self.path):
            return []
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        # Only whole lines; a half-written last line is read next time.
        end = data.rfind(b"\n") + 1
        self.offset += end
        return data[:end].decode("utf-8", errors="replace").splitlines()


def llmux_switches(lines: list[str]) -> list[dict]:
    """The finished switches in llmux's JSON log lines, in order."""
    switches = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "switch_id" in record and "result" in record and "phases" in record:
            switches.append(record)
    return switches


def phase_ms(switch: dict, phase: str) -> float | None:
    values = [p.get("durationMs", 0) for p in switch.get("phases", []) if p.get("phase") == phase]
    return float(sum(values)) if values else None
