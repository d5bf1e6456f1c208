import type { IncomingMessage, ServerResponse } from "node:http";
import type { LiveStatus } from "./live-status.js";
import { type LocalRouteDeps, getModel, health, listModels, status } from "./local-routes.js";
import type { LogBook } from "./log-book.js";
import { serveLogs } from "./log-routes.js";
import { servePageFile } from "./page-files.js";
import type { Route } from "./routes.js";

export interface LocalServices extends LocalRouteDeps {
  live: LiveStatus;
  logs: LogBook;
  /** Aborts when the proxy starts to close. */
  closingSignal: AbortSignal;
}

/** Answer a route llmux serves itself (the caller checked the key). */
export function serveLocal(services: LocalServices, req: IncomingMessage, res: ServerResponse, route: Extract<Route, { kind: "local" }>): void | Promise<void> {
  switch (route.name) {
    case "health":
      return health(services, res);
    case "models":
      return listModels(services, res);
    case "model":
      return getModel(services, res, route.model ?? "");
    case "status":
      return status(services, res);
    case "events":
      return services.live.attach(res);
    case "logs":
      return serveLogs({ logs: services.logs, names: services.names, closing: services.closingSignal }, res, route);
    case "page":
      return servePageFile(res, route.file ?? "index.html", req.method === "HEAD");
  }
}
