/**
 * Acceptance for issue #14 item 1: from a namespace with only the stable Deployment and the
 * routing, a release whose spec gives the canary as an image (no stableVersion, no canaryVersion)
 * creates the canary, steps, promotes — stable's pods get the new image and `version` label — and
 * removes the canary; a second release right after it reads its baseline version from there. On
 * the real Temporal dev server and kube-apiserver with the real activities, router and workload
 * manager, the real Deployment controllers and the test kubelet; metrics are faked (healthy) and
 * record which versions they were asked for.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import type {
  BucketRange,
  MetricsProvider,
  MetricsTarget,
} from '../../activities/metrics/types.js';
import { createActivities } from '../../activities/release-activities.js';
import { createTrafficRouter } from '../../activities/routers/factory.js';
import { createWorkloadManager } from '../../activities/workloads/factory.js';
import { startRelease } from '../../client/releases.js';
import { validateReleaseSpec } from '../../core/spec.js';
import type { BucketCounts, BucketSeries } from '../../core/types.js';
import { statusQuery, type ReleaseStatus } from '../../workflows/messages.js';
import type { canaryRelease } from '../../workflows/release.js';
import { deployment, freshNamespace, rolledOut, testKube } from '../fixtures/kube/cluster.js';
import { createReviews, REVIEWS_ISTIO_ROUTER } from '../fixtures/kube/routing.js';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal.js';
import { startWorker } from '../harness/workflow-worker.js';

/** Healthy buckets for both arms; remembers the versions each query named. */
class HealthyMetrics implements MetricsProvider {
  readonly name = 'healthy fake metrics';
  constructor(private readonly asked: string[]) {}
  async isOnline(): Promise<void> {}
  async fetchBuckets(target: MetricsTarget, range: BucketRange): Promise<BucketSeries> {
    this.asked.push(`${target.stableVersion} → ${target.canaryVersion}`);
    const timestamps: number[] = [];
    for (let t = range.startMs + range.bucketMs; t <= range.endMs; t += range.bucketMs)
      timestamps.push(t);
    const arm = (seed: number) =>
      timestamps.map((_, i): BucketCounts => {
        const requests = 5000 + ((i * 7919 + seed * 104729) % 13) * 10;
        return { requests, errors: 50, latencyCount: requests, latencySumMs: requests * 20 };
      });
    return { bucketMs: range.bucketMs, timestamps, canary: arm(1), baseline: arm(2) };
  }
}

const kube = testKube();
describe.skipIf(!kube)('a release that deploys its own canary', () => {
  const admin = kube as KubeClients;
  const asked: string[] = [];
  let namespace: string;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let workerDone: Promise<void>;
  const taskQueue = uniqueTaskQueue('release-deploys-canary');

  beforeAll(async () => {
    env = await connectTestEnv();
    namespace = await freshNamespace(admin, 'deploy-release');
    await createReviews(admin, namespace);
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: deployment('web', 'web', 'stable', 'registry.example.com/web:1.4.0', 3),
    });
    await rolledOut(admin, namespace, 'web');
    worker = await startWorker(
      env,
      taskQueue,
      createActivities({
        routerFor: (spec) => createTrafficRouter(spec, admin),
        workloadsFor: (spec) => createWorkloadManager(spec, admin, { kubernetes: { pollMs: 100 } }),
        metricsFor: () => new HealthyMetrics(asked),
        scrapeLagMs: () => 200,
      }),
    );
    workerDone = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await workerDone;
    await env?.teardown();
  });

  /** What CI sends: the service, the routing and the new image, nothing about versions. */
  async function release(image: string): Promise<ReleaseStatus> {
    const validated = validateReleaseSpec({
      releaseId: `web-${namespace}-${image.split(':')[1]}`,
      service: 'web',
      namespace,
      router: REVIEWS_ISTIO_ROUTER,
      workloads: {
        type: 'kubernetes',
        stableDeployment: 'web',
        canary: { images: { app: image }, onEnd: 'delete' },
        readyTimeout: '30s',
      },
      schedule: {
        steps: [
          { weight: 20, observe: '2s' },
          { weight: 50, observe: '2s' },
        ],
      },
      analysis: { bucket: '1s' },
    });
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems));
    const started = await startRelease(env.client, validated.spec, { taskQueue });
    const handle = env.client.workflow.getHandle<typeof canaryRelease>(started.workflowId);
    await handle.result().catch(() => undefined);
    return handle.query(statusQuery);
  }

  it('creates the canary, promotes the whole identity, removes the canary, and the next release finds its baseline', async () => {
    const first = await release('registry.example.com/web:1.5.0');
    expect(first.phase, first.outcome ?? '').toBe('Promoted');
    expect(first.stableVersion).toBe('1.4.0');
    expect(first.canaryVersion).toBe('1.5.0');
    const stable = await admin.apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(stable.spec?.template.spec?.containers[0]?.image).toBe('registry.example.com/web:1.5.0');
    expect(stable.spec?.template.metadata?.labels?.version).toBe('1.5.0');
    await expect(
      admin.apps.readNamespacedDeployment({ name: 'web-canary', namespace }),
    ).rejects.toMatchObject({ code: 404 });

    const second = await release('registry.example.com/web:1.6.0');
    expect(second.phase, second.outcome ?? '').toBe('Promoted');
    expect(second.stableVersion).toBe('1.5.0');
    expect(new Set(asked)).toEqual(new Set(['1.4.0 → 1.5.0', '1.5.0 → 1.6.0']));
  }, 180_000);
});
