/**
 * A rollback during a kube-apiserver outage, on a control plane of the test's own (so stopping its
 * API server disturbs no other test) with the real activities, Istio router and workload manager:
 * the rollback's rounds fail while the API server is down, the release shows RollbackRetrying with
 * the last error, and once the API server is back the next round restores stable and the release
 * ends RolledBack. Rollback timing is shortened (a few seconds between rounds instead of 30 s to
 * 5 min) and the outage is CANARY_OUTAGE_MS long (default 20 s; the acceptance is 5 min).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeClients, type KubeClients } from '../../activities/kube/kube-clients.js';
import type { MetricsProvider } from '../../activities/metrics/types.js';
import { createActivities } from '../../activities/release-activities.js';
import { createTrafficRouter } from '../../activities/routers/factory.js';
import { createWorkloadManager } from '../../activities/workloads/factory.js';
import { startRelease } from '../../client/releases.js';
import { validateReleaseSpec, type ReleaseSpec } from '../../core/spec.js';
import { abortUpdate } from '../../workflows/messages.js';
import type { canaryRelease } from '../../workflows/release.js';
import { deployment, freshNamespace, rolledOut, testKube } from '../fixtures/kube/cluster.js';
import { createReviews, REVIEWS_ISTIO_ROUTER } from '../fixtures/kube/routing.js';
import { startKubeForTests, type KubeHarness } from '../harness/kube.js';
import { inPhase, waitForStatus } from '../harness/release-run.js';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal.js';
import { startWorker } from '../harness/workflow-worker.js';

/** The release never reaches an analysis here; its pre-flight asks nothing of the metrics. */
const NO_ANALYSIS: MetricsProvider = {
  name: 'no metrics',
  fetchBuckets: async () => {
    throw new Error('no analysis in this test');
  },
  isOnline: async () => undefined,
};

const OUTAGE_MS = Number(process.env.CANARY_OUTAGE_MS ?? 20_000);

describe.skipIf(!testKube())('a rollback while the kube-apiserver is down', () => {
  let harness: KubeHarness;
  let admin: KubeClients;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let workerDone: Promise<void>;
  const taskQueue = uniqueTaskQueue('rollback-outage');

  beforeAll(async () => {
    const started = await startKubeForTests();
    if (!started) throw new Error('the shared API server runs, so this one should start too');
    harness = started;
    admin = createKubeClients({ kubeconfigPath: harness.kubeconfigPath, env: {} });
    env = await connectTestEnv();
    const activities = createActivities({
      routerFor: (spec) => createTrafficRouter(spec as ReleaseSpec, admin),
      workloadsFor: (spec) => createWorkloadManager(spec, admin, { kubernetes: { pollMs: 200 } }),
      metricsFor: () => NO_ANALYSIS,
    });
    worker = await startWorker(env, taskQueue, activities);
    workerDone = worker.run();
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await workerDone;
    await env?.teardown();
    await harness?.stop();
  });

  it('retries in RollbackRetrying through the outage and ends RolledBack once the API server is back', async () => {
    const namespace = await freshNamespace(admin, 'rollback-outage');
    await createReviews(admin, namespace);
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: deployment('web', 'web', 'stable', 'registry.example.com/web:v1', 1),
    });
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: deployment('web-canary', 'web', 'canary', 'registry.example.com/web:v2', 0),
    });
    await rolledOut(admin, namespace, 'web');
    const validated = validateReleaseSpec({
      releaseId: `web-${namespace}`,
      service: 'web',
      namespace,
      stableVersion: 'v1',
      canaryVersion: 'v2',
      router: REVIEWS_ISTIO_ROUTER,
      workloads: {
        type: 'kubernetes',
        stableDeployment: 'web',
        canaryDeployment: 'web-canary',
        canaryReplicas: 1,
        readyTimeout: '30s',
      },
      schedule: { steps: [{ weight: 30, observe: '10m' }] },
      analysis: { bucket: '1s' },
    });
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems));
    const spec = validated.spec;
    const started = await startRelease(env.client, spec, {
      taskQueue,
      rollbackTiming: {
        firstBackoffMs: 2000,
        maxBackoffMs: 4000,
        fastAttempts: 2,
        fastMaxIntervalMs: 500,
      },
    });
    const handle = env.client.workflow.getHandle<typeof canaryRelease>(started.workflowId);
    await waitForStatus(handle, (s) => s.step === 1 && s.windowEndsAt !== null, 60_000);
    const router = createTrafficRouter(spec as ReleaseSpec, admin);
    expect(await router.getWeights()).toEqual({ stable: 70, canary: 30 });

    await harness.stopApiserver();
    await handle.executeUpdate(abortUpdate, {
      args: [{ actor: 'alice', reason: 'apiserver maintenance gone wrong' }],
    });
    const retrying = await waitForStatus(handle, inPhase('RollbackRetrying'), 60_000);
    expect(retrying.rollbackRetry?.lastError).toMatch(/ECONNREFUSED|connect|unavailable/i);
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const during = await waitForStatus(handle, () => true);
    expect(during.phase).toBe('RollbackRetrying');
    const back = Date.now();
    await harness.startApiserver();

    const status = await handle.result();
    console.log(
      `rollback through a ${OUTAGE_MS} ms outage: ${status.rollbackRetry?.attempts} failed rounds, RolledBack ${Date.now() - back} ms after the API server returned`,
    );
    expect(status.phase).toBe('RolledBack');
    expect(status.outcome).toBe('aborted by alice: apiserver maintenance gone wrong');
    expect(status.rollbackRetry?.attempts).toBeGreaterThanOrEqual(2);
    expect(await router.getWeights()).toEqual({ stable: 100, canary: 0 });
    const scale = await admin.apps.readNamespacedDeploymentScale({ name: 'web-canary', namespace });
    expect(scale.spec?.replicas ?? 0).toBe(0);
  }, 180_000);
});
