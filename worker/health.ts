/**
 * The worker's operational HTTP endpoints, for the kubelet and Prometheus: `/healthz` (the process
 * and its worker are alive), `/readyz` (the worker is running and Temporal answers) and `/metrics`.
 * The worker has no other HTTP surface, so this is plain node:http rather than the API's Hono app;
 * answers that are not 200 are problem+json documents like the API's.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROBLEM_CONTENT_TYPE, problemDocument, type ProblemKind } from '../api/problems.js';
import type { WorkerMetrics } from './metrics.js';

/** What /readyz asks Temporal; NativeConnection and the client's Connection both have it. */
export interface TemporalProbeConnection {
  withDeadline<T>(deadline: number | Date, fn: () => Promise<T>): Promise<T>;
  workflowService: { getSystemInfo(request: object): Promise<{ serverVersion?: string | null }> };
}

/** The Temporal worker's lifecycle state (Worker.getState()). */
export type WorkerState =
  'INITIALIZED' | 'RUNNING' | 'STOPPED' | 'STOPPING' | 'DRAINING' | 'DRAINED' | 'FAILED';

export interface HealthServerOptions {
  port: number;
  host: string;
  connection: TemporalProbeConnection;
  /** For messages: the Temporal address the worker uses. */
  temporalAddress?: string;
  workerState: () => WorkerState;
  metrics: WorkerMetrics;
  /** Deadline of one Temporal probe. */
  probeTimeoutMs?: number;
  /** How long a probe's answer is reused, so frequent probes do not load Temporal. */
  probeCacheMs?: number;
}

export interface HealthServer {
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

type ProbeResult = { ok: true; serverVersion: string | null } | { ok: false; reason: string };

/** Asks Temporal for its system info within a deadline; one probe at a time, its answer cached briefly. */
export class TemporalProbe {
  private last: { at: number; result: Promise<ProbeResult> } | undefined;

  constructor(
    private readonly connection: TemporalProbeConnection,
    private readonly timeoutMs = 2000,
    private readonly cacheMs = 3000,
  ) {}

  check(): Promise<ProbeResult> {
    if (this.last && Date.now() - this.last.at < this.cacheMs) return this.last.result;
    const result = this.connection
      .withDeadline(Date.now() + this.timeoutMs, () =>
        this.connection.workflowService.getSystemInfo({}),
      )
      .then((info): ProbeResult => ({ ok: true, serverVersion: info.serverVersion || null }))
      .catch((error: unknown): ProbeResult => ({
        ok: false,
        reason: error instanceof Error ? error.message : String(error),
      }));
    this.last = { at: Date.now(), result };
    return result;
  }
}

/** Starts the endpoints; resolves once listening (port 0 picks a free one). */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const probe = new TemporalProbe(options.connection, options.probeTimeoutMs, options.probeCacheMs);
  const where = options.temporalAddress ? ` at ${options.temporalAddress}` : '';
  const seconds = (options.probeTimeoutMs ?? 2000) / 1000;

  const routes: Record<string, (res: ServerResponse) => Promise<void>> = {
    '/healthz': async (res) => {
      const state = options.workerState();
      if (state === 'FAILED')
        return problem(
          res,
          503,
          'worker-not-running',
          'the Temporal worker has FAILED; the process must be restarted',
        );
      json(res, 200, { status: 'ok', worker: state });
    },
    '/readyz': async (res) => {
      const state = options.workerState();
      if (state !== 'RUNNING')
        return problem(
          res,
          503,
          'worker-not-running',
          `the Temporal worker is ${state}, not RUNNING`,
        );
      const result = await probe.check();
      if (!result.ok)
        return problem(
          res,
          503,
          'temporal-unavailable',
          `the Temporal server${where} did not answer within ${seconds} s: ${result.reason}`,
        );
      json(res, 200, { status: 'ready', temporal: { serverVersion: result.serverVersion } });
    },
    '/metrics': async (res) => {
      const { contentType, body } = await options.metrics.render();
      res.writeHead(200, { 'content-type': contentType }).end(body);
    },
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://worker').pathname;
    const route = routes[path];
    if (!route || (req.method !== 'GET' && req.method !== 'HEAD')) {
      return problem(
        res,
        404,
        'not-found',
        `the worker answers GET /healthz, /readyz and /metrics, not ${req.method} ${path}`,
      );
    }
    route(res).catch((error: unknown) => {
      problem(
        res,
        500,
        'internal',
        `${path} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

type WorkerProblemKind =
  Extract<ProblemKind, 'not-found' | 'temporal-unavailable' | 'internal'> | 'worker-not-running';

/** A problem+json answer: the API's document for its kinds; the worker's own kind on the same URN scheme. */
function problem(
  res: ServerResponse,
  status: number,
  kind: WorkerProblemKind,
  detail: string,
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const instance = res.req.url ?? '/';
  const body =
    kind === 'worker-not-running'
      ? {
          type: `urn:canary-engine:problem:${kind}`,
          title: 'The worker is not running',
          status,
          detail,
          instance,
        }
      : problemDocument(kind, status, detail, instance);
  res
    .writeHead(status, { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}
