/** One finished request, as emitted by the proxy's `request` event (the CLI logs it at debug). */
export interface RequestRecord {
  /** The `x-request-id` (the client's, or one llmux made), sent to vLLM and back to the client. */
  requestId: string;
  method: string;
  /** The path without the query string (query strings may carry secrets). */
  path: string;
  /** The `model` the client named, when the body was read that far. */
  model: string | undefined;
  /**
   * The status of the outcome: the HTTP status sent, or the error's status
   * when an error ended a stream after its 200, or 499 when the client went
   * away first.
   */
  status: number;
  /** The client asked for a stream. */
  stream: boolean;
  /** Error code when the request ended in an error (`LLMUX_ERR_*`, or `CLIENT_GONE`). */
  errorCode: string | undefined;
  /** From arrival to the last byte (or the failure). */
  durationMs: number;
  /** Time spent waiting for a lease (queue and switch), when one was asked for. */
  queueWaitMs: number | undefined;
  /** From arrival to the first byte from the model (keep-alive comments excluded). */
  timeToFirstByteMs: number | undefined;
  /** Request body bytes read. */
  bytesIn: number;
  /** Response body bytes forwarded from the model. */
  bytesOut: number;
}

export function newRecord(requestId: string, method: string, path: string): RequestRecord {
  return {
    requestId,
    method,
    path,
    model: undefined,
    status: 0,
    stream: false,
    errorCode: undefined,
    durationMs: 0,
    queueWaitMs: undefined,
    timeToFirstByteMs: undefined,
    bytesIn: 0,
    bytesOut: 0,
  };
}

/** `errorCode` for requests whose client went away before the answer. */
export const CLIENT_GONE = "CLIENT_GONE";
