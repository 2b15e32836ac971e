/**
 * The sandbox router: an HTTP reverse proxy on a loopback port that sends each request to the
 * stable or the canary demo version (by cohort, then by weight, per router-state.ts), plus the
 * control API under /control (control-api.ts). Responses carry `x-sandbox-arm`,
 * `x-sandbox-version` and `x-sandbox-route` so clients and tests can see where a request went.
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Counter, Gauge, Registry } from 'prom-client';
import { controlApi } from './control-api.js';
import { closeServer, listen, LOOPBACK } from './net.js';
import { RouterStateStore } from './router-state.js';

/** Default port of the router and its control API (the sandbox router spec's default URL). */
export const DEFAULT_ROUTER_PORT = 8089;

export interface RouterServerOptions {
  /** Loopback port; 0 for a free one. Default 8089. */
  port?: number;
  /** Address to bind; default 127.0.0.1 (docker-compose binds 0.0.0.0). */
  host?: string;
  /** Loopback port of each demo version the router may send traffic to. */
  upstreams: Record<string, number>;
  /** The version that gets all traffic at start. */
  initialStable: string;
  /** Uniform random numbers in [0, 1) for the weighted split; default Math.random. */
  random?: () => number;
}

export interface RouterServer {
  /** http://127.0.0.1:<port>: the proxy and, under /control, the control API. */
  url: string;
  port: number;
  /** host:port of the router's own metrics, served at /control/metrics. */
  metricsTarget: string;
  /** The live state, for in-process inspection. */
  store: RouterStateStore;
  stop(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
]);

function forwardedHeaders(headers: IncomingHttpHeaders, upstreamPort: number): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { host: `${LOOPBACK}:${upstreamPort}` };
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
  }
  return out;
}

function headerReader(headers: IncomingHttpHeaders): (name: string) => string | undefined {
  return (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
}

function queryReader(url: string | undefined): (name: string) => string | undefined {
  const params = new URL(url ?? '/', 'http://sandbox.invalid').searchParams;
  return (name) => params.get(name) ?? undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    })
    .end(text);
}

/** Starts the router with all traffic on `initialStable`; resolves once it listens. */
export async function startRouterServer(options: RouterServerOptions): Promise<RouterServer> {
  const random = options.random ?? Math.random;
  const store = new RouterStateStore(Object.keys(options.upstreams), options.initialStable);
  const registry = new Registry();
  const routed = new Counter({
    name: 'sandbox_router_requests_total',
    help: 'Requests the sandbox router forwarded, by arm, version and why (cohort or weight).',
    labelNames: ['arm', 'version', 'reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'sandbox_router_weight_percent',
    help: 'The weight of each arm, in percent, as the engine last set it.',
    labelNames: ['arm'] as const,
    registers: [registry],
    collect() {
      const { weights } = store.state;
      this.set({ arm: 'stable' }, weights.stable);
      this.set({ arm: 'canary' }, weights.canary);
    },
  });
  const control = getRequestListener(controlApi(store, registry).fetch);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });

  const proxy = (req: IncomingMessage, res: ServerResponse): void => {
    const decision = store.route(headerReader(req.headers), random(), queryReader(req.url));
    const upstreamPort = options.upstreams[decision.version] as number;
    routed.inc({ arm: decision.arm, version: decision.version, reason: decision.reason });
    const upstream = httpRequest(
      {
        host: LOOPBACK,
        port: upstreamPort,
        method: req.method,
        path: req.url,
        headers: forwardedHeaders(req.headers, upstreamPort),
        agent,
      },
      (answer) => {
        const headers: IncomingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (!HOP_BY_HOP.has(name)) headers[name] = value;
        }
        res.writeHead(answer.statusCode ?? 502, {
          ...headers,
          'x-sandbox-arm': decision.arm,
          'x-sandbox-version': decision.version,
          'x-sandbox-route': decision.reason,
        });
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent)
        sendJson(res, 502, {
          error: 'bad-gateway',
          message: `demo ${decision.version} on port ${upstreamPort}: ${error.message}`,
        });
      else res.destroy(error);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };

  const server = createServer({ keepAliveTimeout: 10_000 }, (req, res) => {
    const path = req.url ?? '/';
    if (path === '/control' || path.startsWith('/control/') || path.startsWith('/control?'))
      void control(req, res);
    else proxy(req, res);
  });
  const port = await listen(
    server,
    options.port ?? DEFAULT_ROUTER_PORT,
    'the sandbox router',
    options.host,
  );
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    metricsTarget: `${LOOPBACK}:${port}`,
    store,
    stop: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}
