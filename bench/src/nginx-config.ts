export interface NginxConfigOptions {
  /** Folder for the pid file, logs and temp paths; nothing outside it is written. */
  prefix: string;
  listenPort: number;
  upstreamPort: number;
  workers: number;
  /** Idle keep-alive connections each worker keeps open to the upstream. */
  keepalive?: number;
}

/**
 * A plain reverse proxy: one upstream with keep-alive connections, HTTP/1.1 to
 * the upstream, buffering off so streams pass through chunk by chunk. Runs in
 * the foreground with its own paths, never as the system service.
 */
export function renderNginxConfig(options: NginxConfigOptions): string {
  const { prefix, listenPort, upstreamPort, workers } = options;
  const keepalive = options.keepalive ?? 128;
  return `daemon off;
master_process on;
worker_processes ${workers};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
worker_rlimit_nofile 16384;

events {
    worker_connections 8192;
}

http {
    access_log off;
    client_body_temp_path ${prefix}/client_body;
    proxy_temp_path ${prefix}/proxy;
    fastcgi_temp_path ${prefix}/fastcgi;
    uwsgi_temp_path ${prefix}/uwsgi;
    scgi_temp_path ${prefix}/scgi;

    upstream backend {
        server 127.0.0.1:${upstreamPort};
        keepalive ${keepalive};
    }

    server {
        listen 127.0.0.1:${listenPort};

        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 300s;
        }
    }
}
`;
}
