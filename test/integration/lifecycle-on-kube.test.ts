/**
 * Acceptance of issue #14 on the run's real kube-apiserver + kube-controller-manager (the test
 * kubelet makes pods Ready) and the real Temporal dev server, with the real activities, Istio
 * router and workload manager; only the metrics are faked, and honestly: an arm has data only
 * while Ready pods carry its version label (test/fixtures/kube/release-stack.ts).
 *
 * From a namespace with only the stable Deployment and its routing, the engine deploys the canary
 * from `--image`, steps, promotes the whole identity, and the next release finds its baseline; a
 * misspelt VirtualService is Rejected with nothing changed; a breach during the bake restores the
 * old template; an abort during a slow scale-up or a slow promotion puts all traffic back on
 * stable within seconds (the real figure comes from `npm run bench:workflow`).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import { KINDS } from '../../activities/kube/objects.js';
import { VERSION_LABEL } from '../../core/workloads/config.js';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal.js';
import { rolledOut, testKube } from '../fixtures/kube/cluster.js';
import { REVIEWS_ISTIO_ROUTER } from '../fixtures/kube/routing.js';
import {
  imageReleaseSpec,
  PodLabelMetrics,
  routedWeights,
  STABLE,
  stableOnly,
  stablePods,
  type Health,
} from '../fixtures/kube/release-stack.js';
import {
  abortDuringPromotion,
  abortDuringScaleUp,
  NEW_IMAGE,
  releaseWithImage,
  settle,
  startOn,
  waitForStatus,
  withWorker,
  type StackContext,
} from '../fixtures/kube/release-scenarios.js';

const kube = testKube();

/** Every object's resourceVersion in the namespace, by kind and name. */
async function resourceVersions(admin: KubeClients, namespace: string) {
  const versions: Record<string, string | undefined> = {};
  const add = (
    kind: string,
    items: { metadata?: { name?: string; resourceVersion?: string } }[],
  ) => {
    for (const item of items)
      versions[`${kind}/${item.metadata?.name}`] = item.metadata?.resourceVersion;
  };
  add('Deployment', (await admin.apps.listNamespacedDeployment({ namespace })).items);
  add('ReplicaSet', (await admin.apps.listNamespacedReplicaSet({ namespace })).items);
  add('Pod', (await admin.core.listNamespacedPod({ namespace })).items);
  add('Service', (await admin.core.listNamespacedService({ namespace })).items);
  for (const { group, version, plural, kind } of [KINDS.virtualService, KINDS.destinationRule]) {
    const list = (await admin.customObjects.listNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
    })) as { items: { metadata?: { name?: string; resourceVersion?: string } }[] };
    add(kind, list.items);
  }
  return versions;
}

async function stableTemplate(admin: KubeClients, namespace: string) {
  const d = await admin.apps.readNamespacedDeployment({ name: STABLE.name, namespace });
  return {
    image: d.spec?.template.spec?.containers[0]?.image,
    version: d.spec?.template.metadata?.labels?.[VERSION_LABEL],
  };
}

describe.skipIf(!kube)('releases on the real control plane (issue #14 acceptance)', () => {
  const admin = kube as KubeClients;
  let env: TestWorkflowEnvironment;
  let ctx: StackContext;

  beforeAll(async () => {
    env = await connectTestEnv();
    ctx = { env, kube: admin, metrics: new PodLabelMetrics(admin) };
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('deploys the canary from --image, steps and promotes it, gives stable the new image and version label, and the next release finds its baseline', async () => {
    const steps = {
      schedule: {
        steps: [
          { weight: 20, observe: '2s' },
          { weight: 50, observe: '2s' },
        ],
      },
    };
    const first = await releaseWithImage(ctx, 'accept-image', steps);
    const { namespace } = first;
    expect(first.status.phase, first.status.outcome ?? '').toBe('Promoted');
    expect(first.status.stableVersion).toBe(STABLE.version);
    expect(first.status.canaryVersion).toBe('1.5.0');
    expect(first.status.timeline.filter((e) => e.type === 'weight').map((e) => e.weight)).toEqual(
      expect.arrayContaining([20, 50, 100]),
    );
    // the engine created the canary from the stable Deployment, and left it at 0 replicas
    const canary = await admin.apps.readNamespacedDeployment({ name: 'web-canary', namespace });
    expect(canary.metadata?.annotations?.['canary-engine.io/owned-by']).toBe(`${namespace}/web`);
    expect(canary.spec?.template.spec?.containers[0]?.image).toBe(NEW_IMAGE);
    expect(canary.spec?.replicas).toBe(0);
    expect(await stableTemplate(admin, namespace)).toEqual({ image: NEW_IMAGE, version: '1.5.0' });
    await rolledOut(admin, namespace, STABLE.name);
    expect(await stablePods(admin, namespace)).toEqual(
      Array(4).fill({ image: NEW_IMAGE, version: '1.5.0' }),
    );
    expect(await routedWeights(admin, first.spec)).toEqual({ stable: 100, canary: 0 });
    // the fake metrics are honest: no pod carries v1 any more, so v1 has no data
    const now = Math.floor(Date.now() / 1000) * 1000;
    const old = await ctx.metrics.fetchBuckets(
      {
        releaseId: 'x',
        namespace,
        service: 'web',
        stableVersion: STABLE.version,
        canaryVersion: '1.5.0',
      },
      { startMs: now - 3000, endMs: now, bucketMs: 1000 },
    );
    expect(old.baseline).toEqual([null, null, null]);
    expect(old.canary.every((b) => b !== null)).toBe(true);

    // right after, without stableVersion: read from the label promotion wrote, with baseline data
    const second = await releaseWithImage(
      ctx,
      'accept-image',
      steps,
      'registry.example.com/web:1.6.0',
      namespace,
    );
    expect(second.status.phase, second.status.outcome ?? '').toBe('Promoted');
    expect(second.status.stableVersion).toBe('1.5.0');
    // every look had baseline buckets (missing ones are dropped and counted), and each step passed
    const looks = second.status.decisions.map((r) => ({
      step: r.step,
      verdict: r.decision.verdict,
      missingBuckets: r.missingBuckets,
      baselineBuckets: r.decision.metrics?.map((m) => m.baseline.buckets),
    }));
    expect(looks.length, JSON.stringify(looks)).toBeGreaterThan(0);
    for (const look of looks) {
      expect(look.missingBuckets, JSON.stringify(look)).toBe(0);
      for (const buckets of look.baselineBuckets ?? []) expect(buckets).toBeGreaterThan(0);
    }
    expect(looks.filter((l) => l.verdict === 'pass').map((l) => l.step)).toEqual([1, 2]);
    expect(await stableTemplate(admin, namespace)).toEqual({
      image: 'registry.example.com/web:1.6.0',
      version: '1.6.0',
    });
  }, 240_000);

  it('rejects a release whose VirtualService name is misspelt and changes no object', async () => {
    const namespace = await stableOnly(admin, 'accept-typo');
    const spec = await imageReleaseSpec(namespace, NEW_IMAGE, {
      router: { ...REVIEWS_ISTIO_ROUTER, virtualService: 'reveiws' },
    });
    await rolledOut(admin, namespace, STABLE.name);
    const before = await resourceVersions(admin, namespace);
    const taskQueue = uniqueTaskQueue('accept-typo');
    const status = await withWorker(ctx, taskQueue, async () =>
      settle((await startOn(ctx, taskQueue, spec)).handle),
    );
    expect(status.phase, status.outcome ?? '').toBe('Rejected');
    expect(status.outcome).toContain(`${namespace}/VirtualService/reveiws`);
    expect(status.timeline.filter((e) => e.type === 'weight')).toEqual([]);
    expect(await resourceVersions(admin, namespace)).toEqual(before);
  }, 120_000);

  it('restores the old template when a guard is breached during the bake, and ends RolledBack', async () => {
    const degraded = new Set<string>();
    const health = (ns: string, version: string): Health =>
      degraded.has(`${ns}/${version}`) ? 'degraded' : 'healthy';
    const baking: StackContext = { ...ctx, metrics: new PodLabelMetrics(admin, health) };
    const namespace = await stableOnly(admin, 'accept-bake');
    const spec = await imageReleaseSpec(namespace, NEW_IMAGE, {
      schedule: { steps: [{ weight: 50, observe: '2s' }] },
      policies: { promotion: { bake: '10s' } },
    });
    const taskQueue = uniqueTaskQueue('accept-bake');
    const status = await withWorker(baking, taskQueue, async () => {
      const { handle } = await startOn(baking, taskQueue, spec);
      await waitForStatus(handle, 'Baking', (s) => s.phase === 'Baking', 120_000);
      expect(await stableTemplate(admin, namespace)).toEqual({
        image: NEW_IMAGE,
        version: '1.5.0',
      });
      degraded.add(`${namespace}/1.5.0`);
      return settle(handle);
    });
    expect(status.phase, status.outcome ?? '').toBe('RolledBack');
    expect(status.outcome).toMatch(/bake/);
    expect(await stableTemplate(admin, namespace)).toEqual({
      image: STABLE.image,
      version: STABLE.version,
    });
    await rolledOut(admin, namespace, STABLE.name);
    expect(await stablePods(admin, namespace)).toEqual(
      Array(4).fill({ image: STABLE.image, version: STABLE.version }),
    );
    expect(await routedWeights(admin, spec)).toEqual({ stable: 100, canary: 0 });
  }, 180_000);

  it('puts all traffic back on stable within seconds of an abort during a slow canary scale-up', async () => {
    const run = await abortDuringScaleUp(ctx);
    console.log(
      `abort during scale-up (${run.inProgress}): stable 100% after ${run.abortToStableMs.toFixed(0)} ms`,
    );
    expect(run.abortToStableMs).toBeLessThan(5000);
    expect(run.status.phase, run.status.outcome ?? '').toBe('RolledBack');
    const canary = await admin.apps.readNamespacedDeployment({
      name: 'web-canary',
      namespace: run.namespace,
    });
    expect(canary.spec?.replicas).toBe(0);
    expect(await stableTemplate(admin, run.namespace)).toEqual({
      image: STABLE.image,
      version: STABLE.version,
    });
  }, 180_000);

  it('puts all traffic back on stable within seconds of an abort during a slow promotion, on the old template', async () => {
    const run = await abortDuringPromotion(ctx);
    console.log(
      `abort during promotion (${run.inProgress}): stable 100% after ${run.abortToStableMs.toFixed(0)} ms`,
    );
    expect(run.abortToStableMs).toBeLessThan(5000);
    expect(run.status.phase, run.status.outcome ?? '').toBe('RolledBack');
    expect(await stableTemplate(admin, run.namespace)).toEqual({
      image: STABLE.image,
      version: STABLE.version,
    });
    await rolledOut(admin, run.namespace, STABLE.name);
    expect(await stablePods(admin, run.namespace)).toEqual(
      Array(4).fill({ image: STABLE.image, version: STABLE.version }),
    );
  }, 180_000);
});
