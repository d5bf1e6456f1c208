import type { MuxSnapshot } from "@llmux/core";
import type { ServerResponse } from "node:http";
import { ModelNotFoundError } from "./errors.js";
import type { ModelNames } from "./model-names.js";
import type { StatusView } from "./status-view.js";
import { EMPTY_SNAPSHOT, type ProxyConfigView, type ProxyMux, modelViews } from "./mux.js";
import { sendJson } from "./openai-error.js";

export interface LocalRouteDeps {
  mux: ProxyMux;
  config: ProxyConfigView;
  names: ModelNames;
  version: string;
  /** Epoch seconds the proxy started (the `created` of every model). */
  createdAt: number;
  /** Requests the proxy is answering now. */
  inFlight: () => number;
  closing: () => boolean;
  /** The wire view of the multiplexer, shared with the status page. */
  statusView: () => StatusView;
}

/** `GET /health`: llmux itself is up (it does not wake or probe any model). */
export function health(deps: LocalRouteDeps, res: ServerResponse): void {
  if (deps.closing()) sendJson(res, { status: "closing" }, 503);
  else sendJson(res, { status: "ok" });
}

/**
 * `GET /v1/models` (and `/models`): every configured model, from the config,
 * in vLLM's list shape, plus `llmux_state` (the model's lifecycle state) and
 * `llmux_aliases` (other names it answers to). Aliases are not listed as
 * entries of their own: a client that lists models sees each model once.
 * Wakes nothing.
 */
export function listModels(deps: LocalRouteDeps, res: ServerResponse): void {
  const views = modelViews(safeSnapshot(deps.mux));
  const data = Object.keys(deps.config.models).map((id) => modelEntry(deps, id, views.get(id)?.state));
  sendJson(res, { object: "list", data });
}

/**
 * `GET /v1/models/{id}`: one model, as OpenAI answers it; an alias answers
 * with `id` as asked and `parent` naming the model it stands for. 404 in
 * OpenAI's error shape for an unknown id.
 */
export function getModel(deps: LocalRouteDeps, res: ServerResponse, id: string): void {
  const name = deps.names.resolve(id);
  if (name === undefined) throw new ModelNotFoundError(id);
  const entry = modelEntry(deps, name, modelViews(safeSnapshot(deps.mux)).get(name)?.state);
  sendJson(res, name === id ? entry : { ...entry, id, parent: name });
}

function modelEntry(deps: LocalRouteDeps, id: string, state: string | undefined) {
  const modelPath = (deps.config.models[id] as { model_path?: unknown } | null)?.model_path;
  return {
    id,
    object: "model",
    created: deps.createdAt,
    owned_by: "llmux",
    root: typeof modelPath === "string" ? modelPath : id,
    parent: null as string | null,
    llmux_state: state ?? "unknown",
    llmux_aliases: deps.names.aliasesOf(id),
  };
}

/**
 * `GET /llmux/status`: the status view (states, queue depths, in-flight
 * counts, measured costs and drains, last switches; see `status.schema.json`)
 * with the proxy's own counters. `proxy.in_flight` leaves out this request.
 */
export function status(deps: LocalRouteDeps, res: ServerResponse): void {
  const body = {
    version: deps.version,
    uptime_secs: Math.round(Date.now() / 1000 - deps.createdAt),
    proxy: { in_flight: Math.max(0, deps.inFlight() - 1), closing: deps.closing() },
    ...deps.statusView(),
  };
  const payload = JSON.stringify(body, null, 2);
  res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) });
  res.end(payload);
}

function safeSnapshot(mux: ProxyMux): MuxSnapshot {
  try {
    return mux.snapshot();
  } catch {
    return EMPTY_SNAPSHOT;
  }
}
