import type { ServerResponse } from "node:http";
import { InvalidBodyError, ModelNotFoundError } from "./errors.js";
import { type ProxyConfigView, type ProxyMux, modelViews } from "./mux.js";
import { sendJson } from "./openai-error.js";
import type { AdminAction } from "./routes.js";

/**
 * `POST /llmux/models/<name>/sleep|wake|stop`: run the action on the
 * multiplexer and answer once it is done with the model's new state.
 * `sleep` takes `?level=1|2|3` (default: the model's configured level).
 * The caller has checked the admin key.
 */
export async function runAdminAction(
  mux: ProxyMux,
  config: ProxyConfigView,
  res: ServerResponse,
  route: { model: string; action: AdminAction; query: string },
): Promise<void> {
  const { model, action } = route;
  if (!Object.hasOwn(config.models, model)) throw new ModelNotFoundError(model);
  if (action === "sleep") await mux.sleepModel(model, sleepLevel(route.query));
  else if (action === "wake") await mux.wakeModel(model);
  else await mux.stopModel(model);
  const state = modelViews(mux.snapshot()).get(model)?.state ?? "unknown";
  sendJson(res, { model, action, state });
}

function sleepLevel(query: string): 1 | 2 | 3 | undefined {
  const raw = new URLSearchParams(query).get("level");
  if (raw === null) return undefined;
  if (raw === "1" || raw === "2" || raw === "3") return Number(raw) as 1 | 2 | 3;
  throw new InvalidBodyError(`level must be 1, 2 or 3 (got ${JSON.stringify(raw)}).`);
}
