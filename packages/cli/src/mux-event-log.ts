import type { MuxEvent, SwitchRecord, SwitchTrigger } from "@llmux/core";
import { drainsView, phasesView } from "@llmux/proxy";
import type { Logger } from "pino";

/** `drain 0.2s, sleep(L1) 1.0s, wake(L1) 0.3s` — a switch's phases in one readable field. */
export function formatPhases(record: SwitchRecord): string {
  return record.phases
    .map((phase) => {
      const level = phase.level === undefined ? "" : `(L${phase.level})`;
      const failed = phase.ok ? "" : " FAILED";
      return `${phase.phase} ${phase.model}${level} ${(phase.durationMs / 1000).toFixed(1)}s${failed}`;
    })
    .join(", ");
}

/**
 * Turn the multiplexer's events into log lines: one per switch (with its
 * phases and durations) and one per state change at info; queueing and
 * admissions at debug (a line per request comes from the proxy).
 */
export function logMuxEvent(logger: Logger, event: MuxEvent): void {
  // Every request admits and releases a lease: at the usual levels skip building their lines at all.
  if ((event.type === "admitted" || event.type === "released" || event.type === "queued") && !logger.isLevelEnabled("debug")) return;
  switch (event.type) {
    case "state":
      logger.info(
        { model: event.model, from: event.from, to: event.to, after_ms: Math.round(event.durationMs) },
        `${event.model}: ${event.from} -> ${event.to}`,
      );
      return;
    case "switch-start":
      logger.info(
        { switch_id: event.id, trigger: event.trigger, from: event.from, to: event.to, reason: event.reason },
        `switch ${event.id}${triggerNote(event.trigger)}: ${event.from.length > 0 ? event.from.join(", ") : "(nothing to evict)"} -> ${event.to ?? "(nothing)"}`,
      );
      return;
    case "switch-end": {
      const record = event.record;
      const fields = {
        switch_id: record.id,
        trigger: record.trigger,
        from: record.from,
        to: record.to,
        result: record.result,
        duration_ms: Math.round(record.durationMs),
        phases: phasesView(record.phases),
        ...(record.error === undefined ? {} : { error: record.error }),
        ...(record.drains === undefined ? {} : { measured_drains: drainsView(record.drains) }),
        ...(record.paused === undefined ? {} : { paused: record.paused }),
      };
      const pausedNote = record.paused === undefined ? "" : `; paused ${record.paused.flatMap((entry) => entry.requests).join(", ")}`;
      const target = record.to === null ? `puts away ${record.from.join(", ")}` : `to ${record.to}`;
      const summary = `switch ${record.id}${triggerNote(record.trigger)} ${target} ${record.result} in ${(record.durationMs / 1000).toFixed(1)}s: ${formatPhases(record)}${pausedNote}`;
      if (record.result === "ok") logger.info(fields, summary);
      else logger.error(fields, record.error === undefined ? summary : `${summary}: ${record.error}`);
      return;
    }
    case "escalation":
      logger.warn({ model: event.model, reason: event.reason, err: event.error }, `${event.model}: escalating to a stop (level 3): ${event.reason}`);
      return;
    case "engine-exit":
      if (event.expected) logger.debug({ model: event.model, code: event.exit.code, signal: event.exit.signal }, `${event.model}: engine exited`);
      else
        logger.error(
          { model: event.model, code: event.exit.code, signal: event.exit.signal, last_lines: event.exit.lastLines },
          `${event.model}: vLLM died unexpectedly`,
        );
      return;
    case "restart":
      logger.warn({ model: event.model, restarts: event.restarts }, `${event.model}: restarting vLLM`);
      return;
    case "preempted":
      logger.warn(
        { model: event.model, leases: event.leases, reason: event.reason },
        `${event.model}: ${event.leases} in-flight request(s) aborted: ${event.reason}`,
      );
      return;
    case "preload":
      if (event.state === "failed")
        logger.error({ model: event.model, preload: event.state, error: event.error }, `${event.model}: preload failed: ${event.error ?? ""}`);
      else logger.info({ model: event.model, preload: event.state }, `${event.model}: preload ${event.state}`);
      return;
    case "idle":
      logger.info(
        { model: event.model, from: event.from, action: event.action, idle_ms: Math.round(event.idleMs) },
        `${event.model}: ${event.from} for ${(event.idleMs / 1000).toFixed(0)}s, ${event.action === "stop" ? "stopping" : "putting to sleep"}`,
      );
      return;
    case "paused":
      logger.info(
        { model: event.model, requests: event.requests, drain_ms: Math.round(event.drainMs) },
        `${event.model}: paused ${event.requests.length} request(s) after ${(event.drainMs / 1000).toFixed(1)}s of drain: ${event.requests.join(", ")}`,
      );
      return;
    case "resumed":
      logger.info(
        { model: event.model, request_id: event.requestId, paused_ms: Math.round(event.pausedMs), preemptions: event.preemptions },
        `${event.model}: resumed ${event.requestId} after ${(event.pausedMs / 1000).toFixed(1)}s paused`,
      );
      return;
    case "reconfigured":
      // The reloader writes the line people read (with the trigger and the file); this one is for tracing.
      logger.debug({ added: event.added, removed: event.removed, changed: event.changed }, "multiplexer reconfigured");
      return;
    case "placed":
      logger.info({ model: event.model, gpus: event.gpus }, `${event.model}: placed on GPU ${event.gpus.join(", ")}`);
      return;
    case "removed":
      logger.info({ model: event.model }, `${event.model}: removed by a reload, its requests done; stopped`);
      return;
    case "rejected":
      logger.debug({ model: event.model, ...requestIdField(event), wait_ms: Math.round(event.waitMs), code: event.code }, "request rejected");
      return;
    case "queued": {
      // With overload refusal on, the wait it was promised: compare with the `wait_ms` it is admitted after.
      const promised = event.promisedMs === undefined ? {} : { promised_ms: Math.round(event.promisedMs) };
      logger.debug({ model: event.model, ...requestIdField(event), queue_depth: event.queueDepth, ...promised }, "request queued");
      return;
    }
    case "admitted":
      logger.debug({ model: event.model, ...requestIdField(event), wait_ms: Math.round(event.waitMs) }, "request admitted");
      return;
    case "released":
      logger.trace({ model: event.model, ...requestIdField(event), held_ms: Math.round(event.heldMs) }, "lease released");
      return;
  }
}

/** Switches for queued requests are the usual kind; the others name what started them. */
function triggerNote(trigger: SwitchTrigger): string {
  return trigger === "request" ? "" : ` (${trigger})`;
}

/** `{ request_id }` for a line about a request that has one (the proxy passes its `x-request-id`). */
function requestIdField(event: { requestId?: string }): { request_id?: string } {
  return event.requestId === undefined ? {} : { request_id: event.requestId };
}
