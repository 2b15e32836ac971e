/**
 * The API on a socket (@hono/node-server). `close()` drains: the listener stops accepting, event
 * streams end (clients reconnect elsewhere and resume), in-flight requests finish, idle keep-alive
 * connections are closed, and after `drainTimeoutMs` whatever is left is cut.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createApp, type AppDeps } from './app.js';

export interface ApiServerOptions extends Omit<AppDeps, 'shutdown'> {
  /** TCP port; 0 picks a free one (see the returned `url`). */
  port: number;
  /** Interface to listen on (default 127.0.0.1; use 0.0.0.0 inside a container). */
  host?: string;
  /** How long `close()` waits for in-flight requests before cutting connections (default 10 s). */
  drainTimeoutMs?: number;
}

export interface ApiServer {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  /** Stops accepting, ends event streams, waits for in-flight requests. Safe to call twice. */
  close(): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { port, host = '127.0.0.1', drainTimeoutMs = 10_000, ...deps } = options;
  const shutdown = new AbortController();
  const app = createApp({ ...deps, shutdown: shutdown.signal });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () =>
      resolve(s as Server),
    ) as Server;
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      shutdown.abort();
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const cut = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(cut);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };

  return { url: `http://${urlHost}:${address.port}`, port: address.port, close };
}
