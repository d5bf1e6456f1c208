import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { RouteNotFoundError } from "./errors.js";

const TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

// The build copies src/ui to dist/ui; from source and from the bundle alike the files sit in ./ui beside this module.
const UI_DIR = new URL("./ui/", import.meta.url);

/**
 * The status page's static files (`/llmux/`, `/llmux/app.js`, `/llmux/style.css`;
 * `/llmux` redirects to `/llmux/`):
 * no data in them (that comes from `/llmux/events` with a key), so they need
 * no key. A strict content security policy keeps the page to its own files.
 */
export async function servePageFile(res: ServerResponse, file: string, head: boolean): Promise<void> {
  if (file === "") {
    res.writeHead(308, { location: "/llmux/", "content-length": "0" });
    res.end();
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(new URL(file, UI_DIR));
  } catch {
    throw new RouteNotFoundError(`/llmux/${file}`);
  }
  res.writeHead(200, {
    "content-type": TYPES[file.slice(file.lastIndexOf(".") + 1)] ?? "application/octet-stream",
    "content-length": String(body.length),
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  });
  res.end(head ? undefined : body);
}
