/** One request a switch paused, as `/llmux/status` shows it (snake_case, wall-clock). */
export interface PausedRequestView {
  request_id: string;
  /** Completion tokens produced before the pause (over every part so far). */
  completion_tokens: number;
  /** Epoch ms of the pause. */
  paused_at: number;
  /** Pauses of this request so far, this one included. */
  preemptions: number;
}

/**
 * The requests paused by switches and waiting to go on, per model: from the
 * pause until their continuation is granted a lease (or they give up). The
 * multiplexer sees only a queued request; what was produced is the proxy's.
 */
export class PausedRequests {
  readonly #byModel = new Map<string, Set<PausedRequestView>>();
  readonly #onChange: (model: string) => void;

  /** `onChange` is told which model's paused requests changed. */
  constructor(onChange: (model: string) => void = () => {}) {
    this.#onChange = onChange;
  }

  /** Record a pause; the returned function (idempotent) removes it. */
  add(model: string, entry: PausedRequestView): () => void {
    let entries = this.#byModel.get(model);
    if (entries === undefined) {
      entries = new Set();
      this.#byModel.set(model, entries);
    }
    const own = { ...entry };
    entries.add(own);
    this.#onChange(model);
    return () => {
      const current = this.#byModel.get(model);
      if (current === undefined || !current.delete(own)) return;
      if (current.size === 0) this.#byModel.delete(model);
      this.#onChange(model);
    };
  }

  /** The paused requests of `model`, oldest pause first. */
  of(model: string): PausedRequestView[] {
    return [...(this.#byModel.get(model) ?? [])].map((entry) => ({ ...entry })).sort((a, b) => a.paused_at - b.paused_at);
  }
}
