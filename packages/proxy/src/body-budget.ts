import { CapacityError } from "./errors.js";

/**
 * The bytes of request bodies held in memory across all requests: a request
 * reserves its body's size before reading it (Content-Length) or once read
 * (chunked), and gives it back when it ends. Queued requests keep their
 * bodies while they wait for a switch, so without a shared bound a burst of
 * large bodies behind a cold start grows memory without limit.
 */
export class BodyBudget {
  readonly limit: number;
  #used = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  /** Take `bytes` if they fit; the caller must `release` exactly what it took. */
  tryReserve(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

/**
 * `use(body)` with the body `read()` returns counted against `budget`: a
 * declared length (0 when unknown) is reserved before a byte is read, the
 * actual length once read; all of it is given back when `use` settles.
 * Past the budget: `LLMUX_ERR_CAPACITY`.
 */
export async function withinBudget<T>(budget: BodyBudget, declared: number, read: () => Promise<Buffer>, use: (body: Buffer) => Promise<T>): Promise<T> {
  let reserved = 0;
  const reserve = (bytes: number): void => {
    if (!budget.tryReserve(bytes)) throw new CapacityError("buffered request bodies", budget.limit);
    reserved = bytes;
  };
  if (declared > 0) reserve(declared);
  try {
    const body = await read();
    if (body.length !== reserved) {
      budget.release(reserved);
      reserved = 0;
      reserve(body.length);
    }
    return await use(body);
  } finally {
    budget.release(reserved);
  }
}
