import type { ModelState } from "../model-state.js";

/** Where the slowest requests' time went, mean seconds per request. */
export interface LatencyBreakdown {
  /** How many requests: the slowest 1% of those served (at least one). */
  requests: number;
  latencySecs: number;
  /** Before the first admission, while the request's model was not up (asleep, draining or sleeping for another): waiting for a turn. */
  turnSecs: number;
  /** Before the first admission, while its model was waking or starting: its own switch. */
  switchSecs: number;
  /** Before the first admission, while its model was awake: held by the admission limit or the plan. */
  heldSecs: number;
  /** Paused by switches, until resumed. */
  pausedSecs: number;
  /** Generating (all parts). */
  serviceSecs: number;
  /** Mean output length, tokens. */
  tokens: number;
}

interface Timing {
  model: string;
  tokens: number;
  arrivedAt: number;
  admittedAt: number;
  endAt: number;
  pausedMs: number;
}

/**
 * The simulator's record of each served request and of each model's states,
 * to say where the slowest requests' time went.
 */
export class LatencyLog {
  readonly #states = new Map<string, { at: number; state: ModelState }[]>();
  readonly #served: Timing[] = [];

  state(model: string, at: number, state: ModelState): void {
    let list = this.#states.get(model);
    if (!list) {
      list = [];
      this.#states.set(model, list);
    }
    list.push({ at, state });
  }

  served(timing: Timing): void {
    this.#served.push(timing);
  }

  /** Milliseconds `model` spent in each state between `from` and `to`. */
  #statesBetween(model: string, from: number, to: number): Map<string, number> {
    const spent = new Map<string, number>();
    let state: string = "asleep";
    let at = from;
    for (const change of this.#states.get(model) ?? []) {
      if (change.at <= from) {
        state = change.state;
        continue;
      }
      if (change.at >= to) break;
      spent.set(state, (spent.get(state) ?? 0) + change.at - at);
      at = change.at;
      state = change.state;
    }
    spent.set(state, (spent.get(state) ?? 0) + to - at);
    return spent;
  }

  /** The slowest `share` of served requests, by latency. */
  slowest(share = 0.01): LatencyBreakdown {
    const sorted = [...this.#served].sort((a, b) => b.endAt - b.arrivedAt - (a.endAt - a.arrivedAt));
    const top = sorted.slice(0, Math.max(1, Math.ceil(sorted.length * share)));
    const sum = { latency: 0, turn: 0, switch: 0, held: 0, paused: 0, service: 0, tokens: 0 };
    for (const timing of top) {
      for (const [state, ms] of this.#statesBetween(timing.model, timing.arrivedAt, timing.admittedAt)) {
        if (state === "awake") sum.held += ms;
        else if (state === "waking" || state === "starting") sum.switch += ms;
        else sum.turn += ms;
      }
      sum.latency += timing.endAt - timing.arrivedAt;
      sum.paused += timing.pausedMs;
      sum.service += timing.endAt - timing.admittedAt - timing.pausedMs;
      sum.tokens += timing.tokens;
    }
    const mean = (ms: number) => (top.length > 0 ? ms / top.length / 1000 : 0);
    return {
      requests: this.#served.length > 0 ? top.length : 0,
      latencySecs: mean(sum.latency),
      turnSecs: mean(sum.turn),
      switchSecs: mean(sum.switch),
      heldSecs: mean(sum.held),
      pausedSecs: mean(sum.paused),
      serviceSecs: mean(sum.service),
      tokens: top.length > 0 ? sum.tokens / top.length : 0,
    };
  }
}
