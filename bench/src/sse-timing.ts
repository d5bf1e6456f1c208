/**
 * Reads an SSE byte stream as it arrives and records, for every event that
 * carries the bench upstream's `"t"` stamp (CLOCK_MONOTONIC ns when written),
 * how long it took to reach us. Events may be split across network chunks;
 * the arrival time of an event is that of the chunk that completed it.
 */
export class SseTiming {
  bytes = 0;
  events = 0;
  /** Content tokens: events other than the role chunk, usage chunks and [DONE]. */
  tokens = 0;
  done = false;
  readonly delaysNs: bigint[] = [];
  private pending = "";

  push(chunk: Buffer, arrivalNs: bigint): void {
    this.bytes += chunk.length;
    this.pending += chunk.toString("latin1");
    let end = this.pending.indexOf("\n\n");
    while (end !== -1) {
      this.onEvent(this.pending.slice(0, end), arrivalNs);
      this.pending = this.pending.slice(end + 2);
      end = this.pending.indexOf("\n\n");
    }
  }

  private onEvent(event: string, arrivalNs: bigint): void {
    if (!event.startsWith("data: ")) return;
    this.events++;
    if (event === "data: [DONE]") {
      this.done = true;
      return;
    }
    if (event.includes('"content":"') && !event.includes('"role":"assistant"')) this.tokens++;
    const at = event.indexOf('"t":"');
    if (at !== -1) {
      const sentNs = BigInt(event.slice(at + 5, at + 25));
      this.delaysNs.push(arrivalNs - sentNs);
    }
  }
}
