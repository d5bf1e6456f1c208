import type { Exchange } from "../forward.js";
import type { ProxyConfigView } from "../mux.js";
import { commitSse } from "../sse.js";
import { type ResumableIo, relayResumable } from "./relay-resumable.js";
import type { ResumablePlan } from "./resumable.js";

/**
 * Preemption is on for a model with a drain budget (`max_drain_secs`, its own
 * or the policy's), and for every model when switches do not drain
 * (`drain_before_switch: false`): a switch then pauses the resumable requests
 * at once instead of cutting them off.
 */
export function preemptionOn(config: ProxyConfigView, model: string): boolean {
  if (config.policy.drain_before_switch === false) return true;
  return typeof (config.models[model] as { max_drain_secs?: unknown } | undefined)?.max_drain_secs === "number";
}

/**
 * A resumable request: parts under preemptible leases, stitched into one
 * response. `acquire` and `send` are the forwarder's own (queue keep-alives,
 * the one resend on a stale connection).
 */
export async function relayResumableRequest(exchange: Exchange, model: string, plan: ResumablePlan, via: Pick<ResumableIo, "acquire" | "send">): Promise<void> {
  const { deps, res, record } = exchange;
  const requestId = record.requestId;
  await relayResumable({
    res,
    model,
    requestId,
    plan,
    cancel: exchange.cancel.signal,
    resumeFirstByteMs: deps.config.policy.request_timeout_secs * 1000,
    clockNow: () => deps.mux.clock?.now() ?? performance.now(),
    acquire: async (options) => {
      const lease = await via.acquire(options);
      deps.metrics.inFlightStarted(model);
      let ended = false;
      return {
        model: lease.model,
        url: lease.url,
        get signal() {
          return lease.signal;
        },
        release(usage) {
          lease.release(usage);
          if (ended) return;
          ended = true;
          deps.metrics.inFlightEnded(model);
        },
      };
    },
    send: via.send,
    commitStream: () => {
      commitSse(res);
      exchange.sseCommitted = true;
      exchange.streaming = true;
      record.status = 200;
    },
    firstByte: () => {
      record.timeToFirstByteMs = deps.now() - exchange.startedAt;
    },
    resumed: (reread) => deps.metrics.preemption.reread(model, reread),
    paused: (tokens, preemptions) => deps.paused.add(model, { request_id: requestId, completion_tokens: tokens, paused_at: Date.now(), preemptions }),
  });
  if (record.status === 0) record.status = res.statusCode;
}
