/**
 * Attack suite for operator-owned endpoints (issue #13 item 1), through the real API on a socket
 * with a real worker on the shared Temporal dev server, the engine configured like a production
 * install: not in sandbox mode, one metrics source with credentials and a tenant header, and one
 * ad-hoc address pattern allowed. A local listener counts every request an attack causes and
 * answers with an HTML page holding a secret-looking string. Each attack is refused at submission
 * (400, zero requests) or, where the operator allowed the address, reaches it without credentials
 * and without the secret coming back in the release's status. A table of the attacks is printed.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/release-activities.js';
import type { TrafficRouter } from '../../activities/routers/types.js';
import type { WorkloadManager } from '../../activities/workloads/types.js';
import { startApiServer, type ApiServer } from '../../api/server.js';
import type { Weights } from '../../core/types.js';
import {
  engineCapabilities,
  metricsSourcesOf,
  parseEngineConfig,
} from '../../worker/engine-config.js';
import { createProviders } from '../../worker/providers.js';
import { jsonHeaders, auth, testTokenStore, TOKENS } from '../harness/api.js';
import { testSpecBody } from '../harness/release-spec.js';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal.js';
import { startWorker } from '../harness/workflow-worker.js';
import { TERMINAL_PHASES } from '../../workflows/messages.js';

const SECRET_IN_BODY = 'AKIA-LEAKED-9f8e7d6c5b4a';
const OPERATOR_TOKEN = 'operator-metrics-secret-0123';

/** Records every request and answers with an HTML error page that holds a secret-looking string. */
interface Listener {
  url: string;
  requests: { method: string; url: string; headers: IncomingHttpHeaders }[];
  stop(): Promise<void>;
}

async function startListener(): Promise<Listener> {
  const requests: Listener['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    res
      .writeHead(400, { 'content-type': 'text/html' })
      .end(`<html><body><h1>internal admin</h1><pre>aws_key=${SECRET_IN_BODY}</pre></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

class MemoryRouter implements TrafficRouter {
  weights: Weights = { stable: 100, canary: 0 };
  readonly target = 'memory/router';
  async initialize(): Promise<void> {}
  async getWeights(): Promise<Weights> {
    return this.weights;
  }
  async setWeights(weights: Weights): Promise<Weights> {
    this.weights = weights;
    return weights;
  }
  async finalize(): Promise<Weights> {
    return this.setWeights({ stable: 100, canary: 0 });
  }
}

class MemoryWorkloads implements WorkloadManager {
  async prepareCanary(): Promise<void> {}
  async scaleForWeight(): Promise<void> {}
  async promoteStable(): Promise<void> {}
  async scaleDownCanary(): Promise<void> {}
  async snapshotStable(): Promise<unknown> {
    return {};
  }
  async restoreStable(): Promise<void> {}
}

let env: TestWorkflowEnvironment;
let listener: Listener;
let worker: Worker;
let workerDone: Promise<void>;
let api: ApiServer;
const table: { attack: string; status: number; requests: number }[] = [];

beforeAll(async () => {
  env = await connectTestEnv();
  listener = await startListener();
  process.env.CANARY_METRICS_OPERATOR_TOKEN = OPERATOR_TOKEN;
  // what an operator writes into CANARY_ENGINE_CONFIG (or the chart's metricsSources value)
  const config = parseEngineConfig({
    metricsSources: {
      default: {
        address: 'http://127.0.0.1:1',
        auth: { type: 'bearer', token: { env: 'CANARY_METRICS_OPERATOR_TOKEN' } },
        headers: { 'X-Scope-OrgID': 'platform' },
      },
    },
    adHocMetricsAddresses: [`${listener.url.replace(/\./g, '\\.')}(/.*)?`],
  });
  const taskQueue = uniqueTaskQueue('attack');
  // the worker's own providers (not in sandbox mode), with in-memory traffic and workloads
  const providers = createProviders({ metrics: metricsSourcesOf(config, 'http://127.0.0.1:1') });
  const activities = createActivities({
    ...providers,
    routerFor: () => new MemoryRouter(),
    workloadsFor: () => new MemoryWorkloads(),
    scrapeLagMs: () => 0,
  });
  worker = await startWorker(env, taskQueue, activities);
  workerDone = worker.run();
  api = await startApiServer({
    port: 0,
    client: env.client,
    tokens: testTokenStore(),
    taskQueue,
    capabilities: engineCapabilities(config, { sandbox: false }),
    logger: { info: () => undefined, error: () => undefined },
  });
}, 60_000);

afterAll(async () => {
  console.log(
    [
      'attack → status → requests received',
      ...table.map((row) => `${row.attack} → ${row.status} → ${row.requests}`),
    ].join('\n'),
  );
  await api?.close();
  worker?.shutdown();
  await workerDone;
  await listener?.stop();
  delete process.env.CANARY_METRICS_OPERATOR_TOKEN;
  await env?.teardown();
});

/** Posts a spec as a deployer; records the answer and the requests the listener got meanwhile. */
async function attack(
  name: string,
  overrides: Record<string, unknown>,
  settle?: (body: { id?: string }) => Promise<void>,
): Promise<{ status: number; body: Record<string, unknown>; requests: Listener['requests'] }> {
  const before = listener.requests.length;
  const response = await fetch(`${api.url}/v1/releases`, {
    method: 'POST',
    headers: jsonHeaders(TOKENS.deployer),
    body: JSON.stringify(testSpecBody(overrides, 'attack')),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (settle) await settle(body);
  else await new Promise((resolve) => setTimeout(resolve, 500));
  const requests = listener.requests.slice(before);
  table.push({ attack: name, status: response.status, requests: requests.length });
  return { status: response.status, body, requests };
}

const problemPaths = (body: Record<string, unknown>) =>
  ((body.problems as { path: string }[] | undefined) ?? []).map((e) => e.path);

/** Polls the release's status through the API until it has ended. */
async function finalStatus(id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await fetch(`${api.url}/v1/releases/${encodeURIComponent(id)}`, {
      headers: auth(TOKENS.viewer),
    });
    const status = (await response.json()) as Record<string, unknown>;
    if ((TERMINAL_PHASES as readonly string[]).includes(String(status.phase))) return status;
    if (Date.now() > deadline)
      throw new Error(`release ${id} did not end: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('attacks on operator-owned endpoints, in cluster mode', () => {
  it('refuses a sandbox spec with a foreign router.url: 400 at router.type and router.url, no request', async () => {
    const result = await attack('(a) sandbox router.url at the listener', {
      router: { type: 'sandbox', url: `${listener.url}/?` },
    });
    expect(result.status).toBe(400);
    expect(problemPaths(result.body)).toEqual(['router.type', 'router.url']);
    expect(result.requests).toHaveLength(0);
  });

  it('refuses any sandbox spec outside sandbox mode: 400 naming router.type, no request', async () => {
    const result = await attack('(b) sandbox router at all', { router: { type: 'sandbox' } });
    expect(result.status).toBe(400);
    expect(problemPaths(result.body)).toEqual(['router.type']);
    expect(result.requests).toHaveLength(0);
  });

  it('refuses an analysis.metrics.address the operator does not allow: 400 at that path, no request', async () => {
    const result = await attack('(c) metrics address not allowed', {
      router: undefined,
      analysis: { bucket: '1s', metrics: { address: 'http://127.0.0.2:9' } },
    });
    expect(result.status).toBe(400);
    expect(problemPaths(result.body)).toEqual(['analysis.metrics.address']);
    expect(result.requests).toHaveLength(0);
    const withAuth = await attack('(c′) metrics auth naming a worker secret', {
      router: undefined,
      analysis: {
        bucket: '1s',
        metrics: {
          address: listener.url,
          auth: { type: 'bearer', tokenEnv: 'CANARY_METRICS_OPERATOR_TOKEN' },
        },
      },
    });
    expect(withAuth.status).toBe(400);
    expect(problemPaths(withAuth.body)).toEqual(['analysis.metrics.auth']);
    expect(withAuth.requests).toHaveLength(0);
  });

  it('sends an allowed ad-hoc address no credentials and no operator header, and never echoes its answer into the release', async () => {
    let status: Record<string, unknown> = {};
    const result = await attack(
      '(d+e) allowed ad-hoc address, HTML error body with a secret',
      {
        router: undefined,
        schedule: { steps: [{ weight: 50, observe: '2s' }] },
        analysis: { bucket: '1s', metrics: { address: listener.url } },
      },
      async (body) => {
        status = await finalStatus(String(body.id));
      },
    );
    expect(result.status).toBe(201);
    expect(result.requests.length).toBeGreaterThan(0);
    for (const request of result.requests) {
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers['x-scope-orgid']).toBeUndefined();
      expect(JSON.stringify(request.headers)).not.toContain(OPERATOR_TOKEN);
    }
    const text = JSON.stringify(status);
    expect(text).not.toContain(SECRET_IN_BODY);
    expect(text).not.toContain('<html');
    expect(text).toContain('HTTP 400 Bad Request');
  });
});
