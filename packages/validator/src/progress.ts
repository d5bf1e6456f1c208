import type { ProgressEvent } from "./validate-model.js";

const LABELS: Record<ProgressEvent["step"], string> = {
  baseline: "reading baseline GPU memory",
  start: "starting the model (cold start)",
  reference: "taking the reference answer",
  before: "reading GPU memory",
  sleep: "sleeping",
  settle: "waiting for GPU memory to settle",
  wake: "waking",
  answer: "asking again",
  stop: "stopping the model",
};

const FRAMES = ["|", "/", "-", "\\"];

/** Human text for a step, e.g. `L2: waking`. */
export function describeStep(event: ProgressEvent): string {
  const label =
    event.level === 3 && event.step === "sleep"
      ? "stopping (level 3)"
      : event.level === 3 && event.step === "wake"
        ? "cold start (level 3)"
        : LABELS[event.step];
  return event.level === null ? label : `L${event.level}: ${label}`;
}

/**
 * A one-line spinner with elapsed seconds, redrawn in place on a TTY (a cold
 * start takes minutes; silence would look like a hang). Writes nothing at all
 * when the stream is not a TTY, so piped output stays clean.
 */
export class ProgressLine {
  readonly #stream: NodeJS.WritableStream;
  readonly #enabled: boolean;
  #timer: NodeJS.Timeout | undefined;
  #label = "";
  #startedAt = 0;
  #frame = 0;

  constructor(stream: NodeJS.WritableStream & { isTTY?: boolean }, options: { enabled?: boolean } = {}) {
    this.#stream = stream;
    this.#enabled = options.enabled ?? stream.isTTY === true;
  }

  /** Feed a progress event from `validateModel`. */
  readonly update = (event: ProgressEvent): void => {
    if (!this.#enabled) return;
    if (event.phase === "end") {
      this.clear();
      return;
    }
    this.#label = describeStep(event);
    this.#startedAt = Date.now();
    this.#draw();
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#draw(), 200);
      this.#timer.unref();
    }
  };

  /** Erase the line and stop redrawing. Idempotent. */
  clear(): void {
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
    if (this.#enabled && this.#label !== "") this.#stream.write("\r\x1b[2K");
    this.#label = "";
  }

  #draw(): void {
    const elapsed = ((Date.now() - this.#startedAt) / 1000).toFixed(1);
    this.#frame = (this.#frame + 1) % FRAMES.length;
    this.#stream.write(`\r\x1b[2K${FRAMES[this.#frame]} ${this.#label} ${elapsed}s`);
  }
}
