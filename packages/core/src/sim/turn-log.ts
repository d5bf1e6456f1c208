import type { LlmuxConfig } from "../config/types.js";
import type { MuxEvent } from "../events.js";

/** One turn: a model awake from `wokeAt` until `endAt`, with `batches` of its requests waiting when it woke. */
interface Turn {
  model: string;
  wokeAt: number;
  endAt: number;
  /** ⌈requests waiting at its wake ÷ its admission limit⌉, at least 1. */
  batches: number;
}

/** A first wait: the request's model, when it arrived and when it was admitted (clock ms). */
export interface FirstWait {
  model: string;
  arrivedAt: number;
  admittedAt: number;
}

/**
 * The turns of a run and the bound each first wait had. A turn that begins
 * with more requests waiting than its model admits at once lets them in a
 * batch at a time as places free, each batch ending within the longest
 * generation: such a turn lasts up to one generation per batch, not one. So
 * a request's bound is `max_wait_secs` plus, for each turn it waited through
 * (at most K, one per model, its own current one included), one switch and
 * one longest generation per batch that turn began with; in the turn that
 * admits it, one generation per batch ahead of it, or, held there by the
 * plan after arriving while its model was up, one per batch.
 */
export class TurnLog {
  readonly #limits = new Map<string, number>();
  readonly #depth = new Map<string, number>();
  readonly #turns: Turn[] = [];
  readonly #open = new Map<string, Turn>();

  constructor(config: LlmuxConfig) {
    for (const [name, model] of Object.entries(config.models)) this.#limits.set(name, model.max_concurrency);
  }

  observe(event: MuxEvent): void {
    if (event.type === "queued") this.#add(event.model, 1);
    // An overload refusal is answered before the request joins the queue (a queued one is never refused), so it leaves no place.
    else if (event.type === "admitted" || (event.type === "rejected" && event.code !== "LLMUX_ERR_OVERLOADED")) this.#add(event.model, -1);
    else if (event.type === "state") {
      const open = this.#open.get(event.model);
      // A drain is the end of the turn: its generations finishing.
      if (open && event.to !== "awake" && event.to !== "draining") {
        open.endAt = event.at;
        this.#open.delete(event.model);
      }
      if (event.to === "awake" && !open) {
        const waiting = this.#depth.get(event.model) ?? 0;
        const turn = {
          model: event.model,
          wokeAt: event.at,
          endAt: Infinity,
          batches: Math.max(1, Math.ceil(waiting / (this.#limits.get(event.model) ?? Infinity))),
        };
        this.#turns.push(turn);
        this.#open.set(event.model, turn);
      }
    }
  }

  /**
   * Is `wait` over its bound: longer than `maxWaitMs` + the turns it waited
   * through, each one switch (`switchMs`) and one generation (`generationMs`)
   * per batch, or through more than `models` turns?
   */
  over(wait: FirstWait, maxWaitMs: number, generationMs: number, switchMs: number, models: number): boolean {
    let boundMs = maxWaitMs;
    let turns = 0;
    for (const turn of this.#turns) {
      if (turn.wokeAt > wait.admittedAt || turn.endAt <= wait.arrivedAt) continue;
      if (turn.model === wait.model && turn.wokeAt <= wait.admittedAt && turn.endAt >= wait.admittedAt) {
        // The turn that admitted it: waiting at its wake, a generation per batch ahead of it; arrived during it (held by
        // the plan), up to the turn's end, which is a generation per batch past its due time.
        boundMs += (wait.arrivedAt < turn.wokeAt ? turn.batches - 1 : turn.batches) * generationMs;
        continue;
      }
      turns++;
      boundMs += switchMs + turn.batches * generationMs;
    }
    return turns > models || wait.admittedAt - wait.arrivedAt > boundMs;
  }

  #add(model: string, delta: number): void {
    // A request admitted at once (its model awake with nothing queued) was never queued: the count does not go below zero.
    this.#depth.set(model, Math.max(0, (this.#depth.get(model) ?? 0) + delta));
  }
}
