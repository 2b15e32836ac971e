/**
 * The worker's /healthz, /readyz and /metrics on the real Temporal dev server: the real release
 * worker (createReleaseWorker, with the metrics interceptor) runs a release through fake providers
 * whose router writes through the real ObjectStore, and its Temporal connection goes through a TCP
 * proxy the test can cut, so "Temporal unreachable" is the worker's own connection failing.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { ApiException } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  objectRef,
  ObjectStore,
  KINDS,
  type KubeObject,
  type ObjectApi,
} from '../../activities/kube/objects.js';
import type { ActivityDeps } from '../../activities/release-activities.js';
import type { TrafficRouter } from '../../activities/routers/types.js';
import type { WorkloadManager } from '../../activities/workloads/types.js';
import { startRelease } from '../../client/releases.js';
import type { BucketCounts } from '../../core/types.js';
import { freePort } from '../../scripts/lib/proc.mjs';
import { startHealthServer, type HealthServer } from '../../worker/health.js';
import { createReleaseWorker } from '../../worker/index.js';
import { WorkerMetrics } from '../../worker/metrics.js';
import { statusQuery } from '../../workflows/messages.js';
import { testSpec } from '../harness/release-spec.js';
import { uniqueTaskQueue } from '../harness/temporal.js';

/** A TCP proxy to Temporal that can be cut (listener closed, connections destroyed) and restored on the same port. */
class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

/** An in-memory object API whose first replace loses to "another writer" (409). */
function racyObjectApi(): ObjectApi {
  const objects = new Map<string, KubeObject>();
  let version = 1;
  let conflicts = 1;
  return {
    async getNamespacedCustomObject(p) {
      const object = objects.get(p.name);
      if (!object) throw new ApiException(404, 'not found', { message: `${p.name} not found` }, {});
      return structuredClone(object);
    },
    async createNamespacedCustomObject(p) {
      const body = structuredClone(p.body) as KubeObject;
      body.metadata.resourceVersion = String(version++);
      objects.set(body.metadata.name, body);
      return body;
    },
    async deleteNamespacedCustomObject(p) {
      objects.delete(p.name);
      return {};
    },
    async replaceNamespacedCustomObject(p) {
      if (conflicts-- > 0)
        throw new ApiException(409, 'conflict', { message: 'the object has been modified' }, {});
      const body = structuredClone(p.body) as KubeObject;
      body.metadata.resourceVersion = String(version++);
      objects.set(p.name, body);
      return body;
    },
  };
}

/**
 * Providers for one release: a router keeping its weight in a VirtualService-shaped object (its
 * first weight write fails once, its first finalize too), no-op workloads, and metrics where the
 * canary errs on half its requests, so the error-rate guard fails the release and it rolls back.
 */
function fakeProviders(): ActivityDeps {
  const store = new ObjectStore(racyObjectApi(), { backoffMs: 1 });
  const ref = objectRef(KINDS.virtualService, 'default', 'reviews');
  let setWeightsFailures = 1;
  let finalizeFailures = 1;
  const weights = async () => {
    const object = await store.get(ref);
    const canary = (object.spec as { canary: number }).canary;
    return { stable: 100 - canary, canary };
  };
  const write = async (canary: number) => {
    await store.update(ref, (draft) => {
      (draft.spec as { canary: number }).canary = canary;
    });
    return weights();
  };
  const router: TrafficRouter = {
    target: 'default/VirtualService/reviews',
    async initialize() {
      if (!(await store.find(ref)))
        await store.create(ref, {
          apiVersion: 'networking.istio.io/v1',
          kind: 'VirtualService',
          metadata: { name: 'reviews', namespace: 'default' },
          spec: { canary: 0 },
        });
    },
    getWeights: weights,
    async setWeights(w) {
      if (setWeightsFailures-- > 0)
        throw new Error('router unavailable: connection refused by the fake API server');
      return write(w.canary);
    },
    async finalize() {
      if (finalizeFailures-- > 0) throw new Error('router unavailable during rollback');
      return write(0);
    },
  };
  const workloads: WorkloadManager = {
    async prepareCanary() {},
    async scaleForWeight() {},
    async promoteStable() {},
    async scaleDownCanary() {},
    async snapshotStable() {
      return {};
    },
    async restoreStable() {},
  };
  const arm = (errors: number): BucketCounts => ({
    requests: 1000,
    errors,
    latencySumMs: 50_000,
    latencyCount: 1000,
  });
  return {
    routerFor: () => router,
    workloadsFor: () => workloads,
    scrapeLagMs: () => 0,
    metricsFor: () => ({
      name: 'fake',
      async isOnline() {},
      async fetchBuckets(_target, range) {
        const timestamps: number[] = [];
        for (
          let end = Math.ceil((range.startMs + 1) / range.bucketMs) * range.bucketMs;
          end <= range.endMs;
          end += range.bucketMs
        )
          timestamps.push(end);
        return {
          bucketMs: range.bucketMs,
          timestamps,
          canary: timestamps.map(() => arm(500)),
          baseline: timestamps.map(() => arm(5)),
        };
      },
    }),
  };
}

async function get(url: string): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

let proxy: CuttableProxy;
let connection: NativeConnection;
let client: Client;
let clientConnection: Connection;
let worker: Worker;
let running: Promise<void>;
let health: HealthServer;
const taskQueue = uniqueTaskQueue('health');

beforeAll(async () => {
  // errors only, the native core's too: cutting the connection on purpose makes every poll warn
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
  const [host, port] = inject('temporalAddress').split(':');
  proxy = new CuttableProxy(await freePort(), { host: host!, port: Number(port) });
  await proxy.open();
  connection = await NativeConnection.connect({ address: `127.0.0.1:${proxy.port}` });
  clientConnection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection: clientConnection, namespace: 'default' });
  const metrics = new WorkerMetrics({
    visibility: { connection, namespace: 'default', taskQueue },
    phaseCacheMs: 0,
    processMetrics: false,
  });
  metrics.observeObjectWrites();
  worker = await createReleaseWorker({
    connection,
    namespace: 'default',
    taskQueue,
    providers: fakeProviders(),
    metrics,
  });
  running = worker.run();
  health = await startHealthServer({
    port: 0,
    host: '127.0.0.1',
    connection,
    temporalAddress: `127.0.0.1:${proxy.port}`,
    workerState: () => worker.getState(),
    metrics,
    probeTimeoutMs: 1000,
    probeCacheMs: 0,
  });
});

afterAll(async () => {
  await health?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await connection?.close();
  await clientConnection?.close();
  await proxy?.cut().catch(() => undefined);
});

describe('the worker health endpoints', () => {
  it('answers /healthz with 200 while the worker runs', async () => {
    const answer = await get(`${health.url}/healthz`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ status: 'ok', worker: 'RUNNING' });
  });

  it('answers /readyz with 200 and the server version when Temporal answers', async () => {
    const answer = await get(`${health.url}/readyz`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ status: 'ready', temporal: {} });
  });

  it('answers an unknown path with a 404 problem naming the path', async () => {
    const answer = await get(`${health.url}/nope`);
    expect(answer.status).toBe(404);
    expect(answer.type).toBe('application/problem+json');
    expect(JSON.parse(answer.text).detail).toContain('/nope');
  });

  it('exports the named metric families after a release ran its activities and rolled back', async () => {
    const spec = testSpec({ schedule: { steps: [{ weight: 10, observe: '1s' }] } });
    const started = await startRelease(client, spec, { taskQueue });
    const handle = client.workflow.getHandle(started.workflowId);
    await handle.result().catch(() => undefined);
    expect((await handle.query(statusQuery)).phase).toBe('RolledBack');

    // visibility indexes the final phase shortly after the workflow closes
    let answer = await get(`${health.url}/metrics`);
    for (let i = 0; i < 40 && !answer.text.includes('canary_releases{phase="RolledBack"} 1'); i++) {
      await new Promise((r) => setTimeout(r, 250));
      answer = await get(`${health.url}/metrics`);
    }
    const { status, type, text } = answer;
    expect(status).toBe(200);
    expect(type).toContain('text/plain');
    const labels = `release_namespace="${spec.namespace}",release_service="${spec.service}"`;
    expect(text).toContain('canary_releases{phase="RolledBack"} 1');
    expect(text).toContain('canary_releases{phase="Progressing"} 0');
    expect(text).toMatch(
      new RegExp(
        `canary_decisions_total\\{${labels},verdict="fail",decided_by="guard:errorRateCeiling"\\} 1`,
      ),
    );
    expect(text).toMatch(
      /canary_kube_write_duration_seconds_count\{kind="VirtualService",outcome="written"\} [1-9]/,
    );
    expect(text).toContain('canary_kube_write_conflicts_total{kind="VirtualService"} 1');
    expect(text).toContain(`canary_rollbacks_total{${labels}} 1`);
    expect(text).toContain('canary_rollback_duration_seconds_count 1');
    expect(text).toContain(
      `canary_rollback_attempt_failures_total{${labels},activity="finishRelease"} 1`,
    );
    expect(text).toContain(
      'canary_activity_failures_total{activity="setCanaryWeight",failure_type="Error"} 1',
    );
    expect(text).toMatch(
      /canary_activity_duration_seconds_count\{activity="analyseCanary",outcome="completed"\} 1/,
    );
  });

  it('answers /readyz with a 503 problem naming Temporal when its connection is cut, and 200 once it is back', async () => {
    await proxy.cut();
    try {
      const answer = await get(`${health.url}/readyz`);
      expect(answer.status).toBe(503);
      expect(answer.type).toBe('application/problem+json');
      const problem = JSON.parse(answer.text);
      expect(problem.type).toBe('urn:canary-engine:problem:temporal-unavailable');
      expect(problem.detail).toContain(`127.0.0.1:${proxy.port}`);
      expect((await get(`${health.url}/healthz`)).status).toBe(200);
    } finally {
      await proxy.open();
    }
    const deadline = Date.now() + 20_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await get(`${health.url}/readyz`)).status) !== 200)
      await new Promise((r) => setTimeout(r, 250));
    expect(status).toBe(200);
  });
});

describe('the worker health endpoints during shutdown', () => {
  it('answers /readyz with a 503 problem once the worker stops polling', async () => {
    worker.shutdown();
    const answer = await get(`${health.url}/readyz`);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.text)).toMatchObject({
      type: 'urn:canary-engine:problem:worker-not-running',
      status: 503,
    });
    expect(JSON.parse(answer.text).detail).toMatch(
      /the Temporal worker is (STOPPING|DRAINING|DRAINED|STOPPED), not RUNNING/,
    );
  });
});
