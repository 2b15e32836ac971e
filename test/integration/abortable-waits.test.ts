/**
 * An abort reaches an activity that waits for a Deployment, on the real Temporal dev server and
 * the real kube-apiserver with its Deployment controller and the test kubelet: the canary's pods
 * never become Ready, so the canary's scale-up waits up to its 2-minute readyTimeout — unless the
 * abort's cancellation arrives (heartbeats every second, throttled to a second by the worker) and
 * ends the wait, so the rollback restores stable within seconds.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import type { MetricsProvider } from '../../activities/metrics/types.js';
import { createActivities } from '../../activities/release-activities.js';
import { createTrafficRouter } from '../../activities/routers/factory.js';
import { createWorkloadManager } from '../../activities/workloads/factory.js';
import { startRelease } from '../../client/releases.js';
import { validateReleaseSpec, type ReleaseSpec } from '../../core/spec.js';
import { abortUpdate, statusQuery } from '../../workflows/messages.js';
import type { canaryRelease } from '../../workflows/release.js';
import { deployment, freshNamespace, NEVER_READY, testKube } from '../fixtures/kube/cluster.js';
import { createReviews, REVIEWS_ISTIO_ROUTER } from '../fixtures/kube/routing.js';
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

const kube = testKube();

describe.skipIf(!kube)('an abort during a wait for a Deployment', () => {
  const admin = kube as KubeClients;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let workerDone: Promise<void>;
  const taskQueue = uniqueTaskQueue('abortable-waits');

  beforeAll(async () => {
    env = await connectTestEnv();
    const activities = createActivities({
      routerFor: (spec) => createTrafficRouter(spec, admin),
      workloadsFor: (spec) => createWorkloadManager(spec, admin, { kubernetes: { pollMs: 1000 } }),
      metricsFor: () => NO_ANALYSIS,
    });
    worker = await startWorker(env, taskQueue, activities);
    workerDone = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await workerDone;
    await env?.teardown();
  });

  it('ends the canary scale-up wait and has all traffic on stable within 3 s, not after readyTimeout', async () => {
    const namespace = await freshNamespace(admin, 'abort-wait');
    await createReviews(admin, namespace);
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: deployment('web', 'web', 'stable', 'registry.example.com/web:v1', 1),
    });
    const canary = deployment('web-canary', 'web', 'canary', 'registry.example.com/web:v2', 0);
    canary.spec!.template.metadata!.annotations = { [NEVER_READY]: 'true' };
    await admin.apps.createNamespacedDeployment({ namespace, body: canary });
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
        readyTimeout: '2m',
      },
      schedule: { steps: [{ weight: 20, observe: '1m' }] },
      analysis: { bucket: '1s' },
    });
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems));
    const started = await startRelease(env.client, validated.spec, { taskQueue });
    const handle = env.client.workflow.getHandle<typeof canaryRelease>(started.workflowId);

    // the canary is scaled up and its pod is Running, never Ready: prepareRelease waits
    const deadline = Date.now() + 30_000;
    while (
      (await admin.apps.readNamespacedDeployment({ name: 'web-canary', namespace })).status
        ?.replicas !== 1
    ) {
      if (Date.now() > deadline) throw new Error('the canary was never scaled up');
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 2000));
    expect((await handle.query(statusQuery)).phase).toBe('Pending');

    const abortedAt = Date.now();
    await handle.executeUpdate(abortUpdate, {
      args: [{ actor: 'alice', reason: 'wrong image' }],
    });
    const status = await handle.result();
    const elapsedMs = Date.now() - abortedAt;
    console.log(`abort during a stuck canary scale-up → RolledBack in ${elapsedMs} ms`);
    expect(status.phase).toBe('RolledBack');
    expect(elapsedMs).toBeLessThan(3000);
    expect(await createTrafficRouter(validated.spec as ReleaseSpec, admin).getWeights()).toEqual({
      stable: 100,
      canary: 0,
    });
    const scale = await admin.apps.readNamespacedDeploymentScale({ name: 'web-canary', namespace });
    expect(scale.spec?.replicas ?? 0).toBe(0);
  }, 90_000);
});
