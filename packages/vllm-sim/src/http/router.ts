import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimContext } from "./context.js";
import { collectiveRpcRoute, isPausedRoute, isSleepingRoute, pauseRoute, resetPrefixCacheRoute, resumeRoute, sleepRoute, wakeUpRoute } from "./dev-routes.js";
import { detokenizeRoute, embeddings, tokenizeRoute } from "./embedding-routes.js";
import { faultRoute, statsRoute } from "./control-routes.js";
import { sendEmpty, sendJson, sendPlain, starletteMethodNotAllowed, starletteNotFound } from "./http-util.js";
import { metricsRoute, modelsRoute, versionRoute } from "./info-routes.js";
import { countTokensRoute, messagesRoute } from "./messages-routes.js";
import { chatCompletions, completions } from "./openai-routes.js";

type Handler = (ctx: SimContext, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

interface Route {
  methods: string[];
  handler: Handler;
  /** Registered only when VLLM_SERVER_DEV_MODE is on. */
  dev?: boolean;
  /** Registered only with `--sim-control 1`. */
  control?: boolean;
}

const health: Handler = (_ctx, _req, res) => sendEmpty(res);

const routes: Record<string, Route> = {
  "/health": { methods: ["GET"], handler: health },
  "/version": { methods: ["GET"], handler: versionRoute },
  "/v1/models": { methods: ["GET"], handler: modelsRoute },
  "/metrics": { methods: ["GET"], handler: metricsRoute },
  "/v1/chat/completions": { methods: ["POST"], handler: chatCompletions },
  "/v1/completions": { methods: ["POST"], handler: completions },
  "/v1/messages": { methods: ["POST"], handler: messagesRoute },
  "/v1/messages/count_tokens": { methods: ["POST"], handler: countTokensRoute },
  "/v1/embeddings": { methods: ["POST"], handler: embeddings },
  "/tokenize": { methods: ["POST"], handler: tokenizeRoute },
  "/detokenize": { methods: ["POST"], handler: detokenizeRoute },
  "/pause": { methods: ["POST"], handler: pauseRoute },
  "/resume": { methods: ["POST"], handler: resumeRoute },
  "/is_paused": { methods: ["GET"], handler: isPausedRoute },
  "/sleep": { methods: ["POST"], handler: sleepRoute, dev: true },
  "/wake_up": { methods: ["POST"], handler: wakeUpRoute, dev: true },
  "/is_sleeping": { methods: ["GET"], handler: isSleepingRoute, dev: true },
  "/collective_rpc": { methods: ["POST"], handler: collectiveRpcRoute, dev: true },
  "/reset_prefix_cache": { methods: ["POST"], handler: resetPrefixCacheRoute, dev: true },
  "/_sim/fault": { methods: ["POST"], handler: faultRoute, control: true },
  "/_sim/stats": { methods: ["GET"], handler: statsRoute, control: true },
};

/**
 * Dispatch like vLLM's FastAPI app: unregistered paths (dev routes without
 * dev mode) get Starlette's 404, a wrong method 405; `--api-key` guards only
 * paths under `/v1`.
 */
export function createRouter(ctx: SimContext, isDying: () => boolean): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = new URL(req.url ?? "/", "http://sim").pathname;
    const method = req.method ?? "GET";
    res.on("finish", () => ctx.logger.access(`${req.socket.remoteAddress ?? "-"}:${req.socket.remotePort ?? 0}`, method, req.url ?? "/", res.statusCode));
    if (isDying()) {
      // The engine is dead: the API server answers 503 on /health until it exits.
      req.resume();
      if (path === "/health") sendEmpty(res, 503);
      else
        sendJson(res, 500, {
          error: {
            message: "EngineCore encountered an issue. See stack trace (above) for the root cause.",
            type: "InternalServerError",
            param: null,
            code: 500,
          },
        });
      return;
    }
    const route = routes[path];
    if (!route || (route.dev && !ctx.devMode) || (route.control && !ctx.knobs.control)) {
      req.resume();
      starletteNotFound(res);
      return;
    }
    if (!route.methods.includes(method) && !(method === "HEAD" && route.methods.includes("GET"))) {
      req.resume();
      starletteMethodNotAllowed(res);
      return;
    }
    if (ctx.args.apiKey !== undefined && path.startsWith("/v1") && req.headers.authorization !== `Bearer ${ctx.args.apiKey}`) {
      req.resume();
      sendJson(res, 401, { error: "Unauthorized" });
      return;
    }
    Promise.resolve()
      .then(() => route.handler(ctx, req, res))
      .catch((error: unknown) => {
        ctx.logger.error("api_server.py:500", `Exception in ASGI application: ${(error as Error).stack ?? String(error)}`);
        sendPlain(res, 500, "Internal Server Error");
      });
  };
}
