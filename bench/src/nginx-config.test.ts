import { describe, expect, it } from "vitest";
import { renderNginxConfig } from "./nginx-config.js";

describe("renderNginxConfig", () => {
  const text = renderNginxConfig({ prefix: "/tmp/b", listenPort: 8081, upstreamPort: 9001, workers: 1 });

  it("is a foreground reverse proxy with its own paths", () => {
    expect(text).toMatch(/^daemon off;$/m);
    expect(text).toMatch(/^pid \/tmp\/b\/nginx\.pid;$/m);
    expect(text).toMatch(/^error_log \/tmp\/b\/error\.log warn;$/m);
    expect(text).toMatch(/^worker_processes 1;$/m);
    for (const directive of ["client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path", "scgi_temp_path"]) {
      expect(text).toMatch(new RegExp(`${directive} /tmp/b/`));
    }
  });

  it("keeps upstream connections alive and does not buffer", () => {
    expect(text).toMatch(/upstream backend \{\s+server 127\.0\.0\.1:9001;\s+keepalive 128;\s+\}/);
    expect(text).toContain("listen 127.0.0.1:8081;");
    expect(text).toContain("proxy_pass http://backend;");
    expect(text).toContain("proxy_http_version 1.1;");
    expect(text).toContain('proxy_set_header Connection "";');
    expect(text).toContain("proxy_buffering off;");
  });

  it("balances its braces", () => {
    const opens = text.split("{").length - 1;
    const closes = text.split("}").length - 1;
    expect(opens).toBe(closes);
  });
});
