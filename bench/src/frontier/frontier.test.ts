import { describe, expect, it } from "vitest";
import { type MemberRun, type RunFigures, onEveryTrace, traceFrontier } from "./frontier.js";
import type { GridMember } from "./policy-grid.js";

const fifo: RunFigures = { latencyP99: 100, switches: 10, switchedLatencyP99: 100, gpuBusySecs: 100, served: 10, failed: 0, refused: 0, requests: 10 };

function run(member: Partial<GridMember>, figures: Partial<RunFigures>): MemberRun {
  const full: GridMember = { policy: "time_slice", maxWaitSecs: 60, maxConcurrency: 64, pause: { kind: "drain" }, clairvoyant: false, ...member };
  return { member: full, figures: { ...fifo, ...figures } };
}

const pause = { kind: "pause", drainSecs: 1, preemptions: 1 } as const;

describe("the policy frontier", () => {
  it("picks the best p99, the fewest switches and the members meeting both targets on a trace", () => {
    const frontier = traceFrontier(fifo, [
      run({ maxWaitSecs: 15 }, { latencyP99: 55, switches: 12 }),
      run({ maxWaitSecs: 240 }, { latencyP99: 90, switches: 5 }),
      run({ maxWaitSecs: 60 }, { latencyP99: 60, switches: 8 }),
      // Lost requests: no candidate, however good its p99.
      run({ maxWaitSecs: 30 }, { latencyP99: 10, switches: 1, served: 9, failed: 1 }),
    ]);
    expect(frontier.p99).toEqual({ ratio: 0.55, label: "ts w15 c64 drain", switches: 1.2 });
    expect(frontier.switches).toEqual({ ratio: 0.5, label: "ts w240 c64 drain", p99: 0.9 });
    expect(frontier.p99WithinSwitches).toEqual({ ratio: 0.6, label: "ts w60 c64 drain" });
    // Both limits are inclusive.
    expect(frontier.meetingBoth).toEqual(["ts w60 c64 drain"]);
  });

  it("compares pausing with its drain-only twin at the same knobs, within the GPU limit", () => {
    const frontier = traceFrontier(fifo, [
      run({ maxWaitSecs: 15 }, { switchedLatencyP99: 200, gpuBusySecs: 100 }),
      run({ maxWaitSecs: 15, pause }, { switchedLatencyP99: 120, gpuBusySecs: 104 }),
      run({ maxWaitSecs: 60 }, { switchedLatencyP99: 100, gpuBusySecs: 100 }),
      // Better than its twin but over the GPU limit: left out.
      run({ maxWaitSecs: 60, pause }, { switchedLatencyP99: 10, gpuBusySecs: 106 }),
      // No twin in the runs: left out.
      run({ maxWaitSecs: 30, pause }, { switchedLatencyP99: 1 }),
    ]);
    expect(frontier.other).toEqual({ label: "ts w15 c64 pause d1 p1", ratio: 0.6, gpu: 1.04 });
    expect(frontier.meetingOther).toEqual([]);
    const none = traceFrontier(fifo, [run({}, {})]);
    expect(none.other).toBeNull();
    expect(none.p99WithinSwitches).toBeNull();
  });

  it("refuses runs whose accounting is not exact", () => {
    expect(() => traceFrontier(fifo, [run({}, { served: 9 })])).toThrow(/accounting/);
    expect(() => traceFrontier({ ...fifo, failed: 1 }, [run({}, {})])).toThrow(/accounting/);
    expect(() => traceFrontier(fifo, [run({}, { served: 9, failed: 1 })])).toThrow(/without losses/);
  });

  it("keeps only the members that meet a target on every trace", () => {
    const a = traceFrontier(fifo, [run({ maxWaitSecs: 15 }, { latencyP99: 50, switches: 5 }), run({ maxWaitSecs: 30 }, { latencyP99: 50, switches: 5 })]);
    const b = traceFrontier(fifo, [run({ maxWaitSecs: 15 }, { latencyP99: 70, switches: 5 }), run({ maxWaitSecs: 30 }, { latencyP99: 50, switches: 5 })]);
    expect(onEveryTrace([a, b], (frontier) => frontier.meetingBoth)).toEqual(["ts w30 c64 drain"]);
    expect(onEveryTrace([], (frontier) => frontier.meetingBoth)).toEqual([]);
  });
});
