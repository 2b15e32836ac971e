/**
 * One version of the demo service: `/` answers after the version's latency with 200 or, at the
 * version's error rate, 500; `/metrics` exposes the request counter and duration histogram in the
 * names and labels the `prom-client` metrics preset queries by default
 * (core/metrics/queries/prom-client.ts). Each version has its own prom-client Registry.
 *
 * Latency is a timer, not work: thousands of waiting requests cost no CPU. The histogram records
 * the latency observed from the request's arrival to the end of the response, so queueing or a
 * busy event loop shows up in the metrics just as a client would see it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';
import { PROM_CLIENT_DEFAULTS } from '../core/metrics/queries/prom-client.js';
import { closeServer, listen, LOOPBACK } from './net.js';
import type { DemoBehaviour } from './versions.js';

/**
 * Metric and label names: exactly the prom-client preset's defaults, so a release spec needs no
 * `promClient` settings. The histogram observes the preset's default unit (seconds).
 */
export const DEMO_METRICS = PROM_CLIENT_DEFAULTS;

/** Histogram buckets in seconds, dense around the demo's 80–170 ms latencies. */
const DURATION_BUCKETS = [0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.175, 0.2, 0.25, 0.5, 1, 2.5];

export interface DemoVersionOptions {
  version: string;
  behaviour: DemoBehaviour;
  /** Label values of every series; the release spec's namespace and service must match. */
  namespace: string;
  service: string;
  /** Loopback port; 0 for a free one. */
  port: number;
  /** Address to bind; default 127.0.0.1 (docker-compose binds 0.0.0.0). */
  host?: string;
  /** Source of randomness in [0, 1) for errors and jitter; default Math.random. */
  random?: () => number;
}

export interface DemoVersionServer {
  version: string;
  /** http://127.0.0.1:<port> */
  url: string;
  /** 127.0.0.1:<port>, for a Prometheus scrape configuration. */
  target: string;
  port: number;
  stop(): Promise<void>;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    })
    .end(text);
}

/** Starts one demo version on a loopback port; resolves once it listens. */
export async function startDemoVersion(options: DemoVersionOptions): Promise<DemoVersionServer> {
  const { version, behaviour, namespace, service } = options;
  const random = options.random ?? Math.random;
  const registry = new Registry();
  const names = DEMO_METRICS;
  const perSecond = names.durationUnit === 'seconds' ? 1 : 1000;
  const labelNames = [
    names.namespaceLabel,
    names.serviceLabel,
    names.versionLabel,
    names.statusLabel,
  ];
  const labels = (code: number): Record<string, string> => ({
    [names.namespaceLabel]: namespace,
    [names.serviceLabel]: service,
    [names.versionLabel]: version,
    [names.statusLabel]: String(code),
  });
  const requests = new Counter({
    name: names.requestsMetric,
    help: 'Requests to the demo endpoint, by status code.',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: names.durationMetric,
    help: `Latency of the demo endpoint as observed by the server, from arrival to the end of the response, in ${names.durationUnit}.`,
    labelNames,
    buckets: DURATION_BUCKETS.map((seconds) => seconds * perSecond),
    registers: [registry],
  });
  // Create the 200 and 500 series at zero, so the first error is an increase Prometheus can see.
  for (const code of [200, 500]) {
    requests.inc(labels(code), 0);
    duration.zero(labels(code));
  }
  /** Requests waiting out their latency, answered at once with 503 when the version stops. */
  const pending = new Map<NodeJS.Timeout, ServerResponse>();

  const serveDemo = (res: ServerResponse): void => {
    const arrived = process.hrtime.bigint();
    const failed = random() < behaviour.errorRate;
    const delay = Math.max(0, behaviour.latencyMs + (2 * random() - 1) * behaviour.jitterMs);
    const code = failed ? 500 : 200;
    res.once('finish', () => {
      requests.inc(labels(res.statusCode));
      duration.observe(
        labels(res.statusCode),
        (Number(process.hrtime.bigint() - arrived) / 1e9) * perSecond,
      );
    });
    const timer = setTimeout(() => {
      pending.delete(timer);
      const body = failed
        ? { service, version, error: 'simulated failure' }
        : { service, version, ok: true };
      sendJson(res, code, body, { 'x-demo-version': version });
    }, delay);
    pending.set(timer, res);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics' && req.method === 'GET') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: Error) => sendJson(res, 500, { error: 'metrics', message: error.message }),
      );
    } else if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      serveDemo(res);
    } else if (path === '/') {
      sendJson(
        res,
        405,
        { error: 'method-not-allowed', message: `${req.method} is not allowed on /; use GET` },
        { allow: 'GET, HEAD' },
      );
    } else {
      sendJson(res, 404, {
        error: 'not-found',
        message: `demo ${version} serves / and /metrics, not ${path}`,
      });
    }
  };

  const server = createServer({ keepAliveTimeout: 10_000 }, (req, res) => {
    req.resume(); // the demo endpoint ignores request bodies
    handle(req, res);
  });
  const port = await listen(server, options.port, `demo ${version}`, options.host);
  return {
    version,
    port,
    url: `http://${LOOPBACK}:${port}`,
    target: `${LOOPBACK}:${port}`,
    stop: async () => {
      for (const [timer, res] of pending) {
        clearTimeout(timer);
        sendJson(res, 503, { error: 'stopping', message: `demo ${version} is shutting down` });
      }
      pending.clear();
      await closeServer(server);
    },
  };
}
