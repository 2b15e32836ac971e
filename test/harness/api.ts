/**
 * Shared helpers for API and CLI tests: tokens for every role, a Temporal client that fails the
 * test if it is ever called (unit tests through app.request), and a real stack — worker with fake
 * activities on the shared dev server plus the API app or server — for integration tests.
 */
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { AnalyseInput, ReleaseActivities } from '../../activities/contract.js';
import type { Verdict } from '../../core/types.js';
import { createApp, type AppDeps } from '../../api/app.js';
import { CLUSTER_CAPABILITIES, type EngineCapabilities } from '../../core/capabilities.js';
import { TokenStore } from '../../api/auth.js';
import type { ApiLogger } from '../../api/context.js';
import { ApiMetrics } from '../../api/metrics.js';
import { startApiServer, type ApiServer } from '../../api/server.js';
import { fakeActivities, newFakeCluster, type FakeCluster } from './fake-activities.js';
import { connectTestEnv, uniqueTaskQueue } from './temporal.js';
import { startWorker } from './workflow-worker.js';
import { testSpecBody } from './release-spec.js';
import { parseSse } from '../../cli/lib/events.js';

export const TOKENS = {
  deployer: 'deployer-token-0123456789',
  approver: 'approver-token-0123456789',
  viewer: 'viewer-token-0123456789ab',
  ops: 'ops-token-0123456789abcdef',
  unnamed: 'unnamed-token-0123456789',
} as const;

/** deployer, approver and viewer each hold one role; "ops" holds all three; one token has no name. */
export function testTokenStore(): TokenStore {
  return new TokenStore([
    { name: 'ci-bot', token: TOKENS.deployer, roles: ['deployer'] },
    { name: 'alice', token: TOKENS.approver, roles: ['approver'] },
    { name: 'dashboard', token: TOKENS.viewer, roles: ['viewer'] },
    { name: 'ops', token: TOKENS.ops, roles: ['deployer', 'approver', 'viewer'] },
    { name: 'token-unnamed', token: TOKENS.unnamed, roles: ['viewer'] },
  ]);
}

export const auth = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
});
export const jsonHeaders = (token: string): Record<string, string> => ({
  ...auth(token),
  'content-type': 'application/json',
});

/** A client whose every use throws: unit tests must answer before reaching Temporal. */
export function neverCalledClient(): Client {
  return new Proxy(
    {},
    {
      get(_target, property) {
        if (property === 'options') return { namespace: 'default' };
        if (property === 'connection') return { options: { address: 'never-called:7233' } };
        throw new Error(`the unit test reached Temporal (client.${String(property)})`);
      },
    },
  ) as Client;
}

/** Collects log lines instead of printing them. */
export function memoryLogger(): ApiLogger & { lines: { fields: object; message: string }[] } {
  const lines: { fields: object; message: string }[] = [];
  return {
    lines,
    info: (fields, message) => lines.push({ fields, message }),
    error: (fields, message) => lines.push({ fields, message }),
  };
}

/** What the test stacks accept: the local stack's sandbox specs (their activities are fakes). */
export const SANDBOX_CAPABILITIES: EngineCapabilities = { ...CLUSTER_CAPABILITIES, sandbox: true };

/** An app for unit tests: every route is reachable, Temporal never is. */
export function unitApp(overrides: Partial<AppDeps> = {}) {
  return createApp({
    client: neverCalledClient(),
    tokens: testTokenStore(),
    capabilities: SANDBOX_CAPABILITIES,
    metrics: new ApiMetrics({ processMetrics: false }),
    logger: memoryLogger(),
    ...overrides,
  });
}

export interface ApiStack {
  env: TestWorkflowEnvironment;
  cluster: FakeCluster;
  taskQueue: string;
  metrics: ApiMetrics;
  app: ReturnType<typeof createApp>;
  /** Another app on the same worker and server, with some of its dependencies replaced. */
  appWith(overrides: Partial<AppDeps>): ReturnType<typeof createApp>;
  /** Starts a real server for this stack (closed by stop()). */
  serve(options?: {
    streamPollMs?: number;
    port?: number;
    tokens?: TokenStore;
    metricsFor?: AppDeps['metricsFor'];
  }): Promise<ApiServer>;
  /** Stops the worker only: the API and Temporal stay up. */
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A worker with fake activities on the shared dev server, and the API on top. Verdicts come from
 * `verdict(input)`: by default a canary whose version starts with "bad" fails, any other passes.
 */
export async function startApiStack(
  options: {
    verdict?: (input: AnalyseInput) => Verdict;
    /** Wraps the fake activities (e.g. to make one of them fail for some services). */
    activities?: (fakes: ReleaseActivities) => ReleaseActivities;
  } = {},
): Promise<ApiStack> {
  const env = await connectTestEnv();
  const cluster = newFakeCluster();
  const taskQueue = uniqueTaskQueue('api');
  const verdict =
    options.verdict ??
    ((input: AnalyseInput) => (input.spec.canaryVersion.startsWith('bad') ? 'fail' : 'pass'));
  let worker: Worker;
  try {
    const fakes = fakeActivities(cluster, verdict);
    worker = await startWorker(env, taskQueue, options.activities?.(fakes) ?? fakes);
  } catch (error) {
    await env.teardown();
    throw error;
  }
  const running = worker.run();
  const metrics = new ApiMetrics({ processMetrics: false });
  const deps = {
    client: env.client,
    tokens: testTokenStore(),
    capabilities: SANDBOX_CAPABILITIES,
    taskQueue,
    metrics,
    logger: memoryLogger(),
    streamPollMs: 200,
    temporalUiUrl: 'http://temporal-ui.test',
  };
  const app = createApp(deps);
  const servers: ApiServer[] = [];
  const stopWorker = async (): Promise<void> => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  return {
    env,
    cluster,
    taskQueue,
    metrics,
    app,
    appWith: (overrides) => createApp({ ...deps, ...overrides }),
    async serve(serveOptions = {}) {
      const server = await startApiServer({ ...deps, port: 0, ...serveOptions });
      servers.push(server);
      return server;
    },
    stopWorker,
    async stop() {
      await Promise.all(servers.map((s) => s.close()));
      await stopWorker();
      await env.teardown();
    },
  };
}

/** A spec body for the API: short windows, a unique service, the sandbox router. */
export function specBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return testSpecBody(overrides, 'api');
}

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** Reads a Server-Sent Events response to its end (or until `stopAfter` returns true). */
export async function readSse(
  response: Response,
  stopAfter?: (event: SseEvent) => boolean,
): Promise<SseEvent[]> {
  // the CLI's own parser, so these tests also exercise what `canary --wait` reads with
  const events: SseEvent[] = [];
  for await (const event of parseSse(response.body as ReadableStream<Uint8Array>)) {
    events.push(event);
    if (stopAfter?.(event)) break;
  }
  return events;
}
