/**
 * KubernetesWorkloadManager on a real kube-apiserver: the WorkloadManager contract, then what only
 * Deployments do. The real Deployment and ReplicaSet controllers run there and the test kubelet
 * marks pods Ready; a stalled rollout is a pod template the kubelet never makes ready
 * (the NEVER_READY annotation), a stopped one a short progressDeadlineSeconds on top of that.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import { ObjectNotFoundError } from '../../activities/kube/errors.js';
import { PromotionError } from '../../activities/workloads/errors.js';
import {
  KubernetesWorkloadManager,
  type KubernetesWorkloadsSpec,
} from '../../activities/workloads/kubernetes.js';
import {
  deployment,
  freshNamespace,
  NEVER_READY,
  rolledOut,
  testKube,
} from '../fixtures/kube/cluster.js';
import { describeWorkloadManagerContract } from '../contract/workload-manager.contract.js';
import { testSpec } from '../harness/release-spec.js';

const SPEC: KubernetesWorkloadsSpec = {
  type: 'kubernetes',
  stableDeployment: 'web',
  canaryDeployment: 'web-canary',
  canaryReplicas: 4,
  scaleWithWeight: false,
  minReplicas: 1,
  promotePodTemplate: false,
  readyTimeout: '20s',
};

const kube = testKube();

/**
 * The stable Deployment "web" (image 1.4.0, 3 replicas, rolled out) and the canary "web-canary"
 * (1.5.0, scaled to 0), with `canaryPodAnnotations` on the canary's pod template.
 */
async function createDeployments(
  admin: KubeClients,
  namespace: string,
  canaryPodAnnotations: Record<string, string> = { 'prometheus.io/scrape': 'true' },
): Promise<void> {
  await admin.apps.createNamespacedDeployment({
    namespace,
    body: deployment('web', 'web', 'stable', 'registry.example.com/web:1.4.0', 3),
  });
  const canary = deployment('web-canary', 'web', 'canary', 'registry.example.com/web:1.5.0', 0);
  canary.spec!.template.spec!.containers[0]!.env = [{ name: 'FEATURE_X', value: 'on' }];
  canary.spec!.template.metadata!.annotations = canaryPodAnnotations;
  await admin.apps.createNamespacedDeployment({ namespace, body: canary });
  await rolledOut(admin, namespace, 'web');
}

describeWorkloadManagerContract({
  name: 'KubernetesWorkloadManager scaling with weight',
  available: kube !== null,
  // the Deployments opt in to "web" and carry their image tags as version labels
  release: testSpec({ service: 'web', stableVersion: '1.4.0', canaryVersion: '1.5.0' }),
  async fresh(prefix) {
    const admin = kube as KubeClients;
    const namespace = await freshNamespace(admin, prefix);
    await createDeployments(admin, namespace);
    const read = (name: string) => admin.apps.readNamespacedDeployment({ name, namespace });
    return {
      manager: new KubernetesWorkloadManager(
        admin.apps,
        namespace,
        { ...SPEC, scaleWithWeight: true, canaryReplicas: 10, minReplicas: 2 },
        { pollMs: 50 },
      ),
      versions: {
        stable: 'registry.example.com/web:1.4.0',
        canary: 'registry.example.com/web:1.5.0',
      },
      stableRuns: async () => (await read('web')).spec?.template.spec?.containers[0]?.image ?? '',
      canary: async () => {
        const replicas = (await read('web-canary')).spec?.replicas ?? 0;
        return { up: replicas > 0, capacity: replicas };
      },
      stableObject: `${namespace}/Deployment/web`,
    };
  },
  async missing(prefix) {
    const namespace = await freshNamespace(kube as KubeClients, prefix);
    return {
      manager: new KubernetesWorkloadManager((kube as KubeClients).apps, namespace, SPEC, {
        pollMs: 50,
      }),
      objects: [`${namespace}/Deployment/web-canary`, `${namespace}/Deployment/web`],
      error: ObjectNotFoundError,
      nonRetryable: true,
    };
  },
});

describe.skipIf(!kube)('KubernetesWorkloadManager', () => {
  const admin = kube as KubeClients;

  async function setup(
    prefix: string,
    spec: Partial<KubernetesWorkloadsSpec> = {},
    canaryPodAnnotations?: Record<string, string>,
  ) {
    const namespace = await freshNamespace(admin, prefix);
    await createDeployments(admin, namespace, canaryPodAnnotations);
    const progress: Record<string, unknown>[] = [];
    const manager = new KubernetesWorkloadManager(
      admin.apps,
      namespace,
      { ...SPEC, ...spec },
      { pollMs: 50 },
    );
    return {
      namespace,
      manager,
      progress,
      report: (d: Record<string, unknown>) => progress.push(d),
    };
  }

  const replicas = async (namespace: string, name: string) =>
    (await admin.apps.readNamespacedDeploymentScale({ name, namespace })).spec?.replicas ?? 0;

  it('scales the canary up for the release and waits until its replicas are available, reporting progress', async () => {
    const { namespace, manager, progress, report } = await setup('wl-prepare');
    await manager.prepareCanary(report);
    expect(await replicas(namespace, 'web-canary')).toBe(4);
    expect(progress.at(-1)).toMatchObject({
      deployment: `${namespace}/Deployment/web-canary`,
      desired: 4,
      available: 4,
      complete: true,
    });
    await manager.scaleDownCanary(report);
    expect(await replicas(namespace, 'web-canary')).toBe(0);
  });

  it('scales the canary in proportion to its weight, never below the minimum', async () => {
    const { namespace, manager, report } = await setup('wl-scale', {
      scaleWithWeight: true,
      canaryReplicas: 10,
      minReplicas: 2,
    });
    await manager.prepareCanary(report);
    expect(await replicas(namespace, 'web-canary')).toBe(2);
    for (const [weight, expected] of [
      [5, 2],
      [25, 3],
      [50, 5],
      [100, 10],
    ] as const) {
      await manager.scaleForWeight(weight, report);
      expect(await replicas(namespace, 'web-canary')).toBe(expected);
    }
  });

  it("promotes by giving the stable Deployment the canary's images, keeping everything else, and waits for the rollout", async () => {
    const { namespace, manager, progress, report } = await setup('wl-promote');
    const before = await admin.apps.readNamespacedDeployment({ name: 'web', namespace });
    await manager.promoteStable(report);
    const after = await admin.apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(after.spec?.template.spec?.containers[0]?.image).toBe('registry.example.com/web:1.5.0');
    expect(after.spec?.template.spec?.containers[0]?.env).toBeUndefined();
    expect(after.spec?.template.metadata?.labels).toEqual(before.spec?.template.metadata?.labels);
    expect(after.spec?.selector).toEqual(before.spec?.selector);
    expect(after.metadata?.generation).toBe((before.metadata?.generation ?? 0) + 1);
    expect(progress.at(-1)).toMatchObject({
      deployment: `${namespace}/Deployment/web`,
      complete: true,
      generation: after.metadata?.generation,
    });
  });

  it("promotes the whole pod template when asked, keeping the stable selector labels and dropping the canary's", async () => {
    const { namespace, manager, report } = await setup('wl-template', { promotePodTemplate: true });
    await manager.promoteStable(report);
    const template = (await admin.apps.readNamespacedDeployment({ name: 'web', namespace })).spec
      ?.template;
    expect(template?.metadata?.labels).toEqual({ app: 'web', track: 'stable', version: '1.5.0' });
    expect(template?.metadata?.annotations).toEqual({ 'prometheus.io/scrape': 'true' });
    expect(template?.spec?.containers[0]).toMatchObject({
      image: 'registry.example.com/web:1.5.0',
      env: [{ name: 'FEATURE_X', value: 'on' }],
    });
  });

  it('fails promotion with a PromotionError saying how far the rollout got when it misses the deadline', async () => {
    // the canary's template, promoted whole, has pods the kubelet never makes ready
    const { namespace, manager, report } = await setup(
      'wl-timeout',
      { readyTimeout: '3s', promotePodTemplate: true },
      { [NEVER_READY]: 'true' },
    );
    const error = await manager.promoteStable(report).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PromotionError);
    expect((error as PromotionError).nonRetryable).toBe(true);
    // one surge pod of the new template (maxSurge 25% of 3, rounded up), never available
    expect((error as Error).message).toBe(
      `${namespace}/Deployment/web was not ready within 3s: 1/3 replicas updated, 3/3 available, 4 in total`,
    );
  });

  it('fails at once when the Deployment reports ProgressDeadlineExceeded', async () => {
    const { namespace, manager, report } = await setup('wl-stalled');
    // a new template whose pods never become ready, and 1 s to make progress
    await admin.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace,
        body: {
          spec: {
            progressDeadlineSeconds: 1,
            template: { metadata: { annotations: { [NEVER_READY]: 'true' } } },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const started = Date.now();
    await expect(manager.waitForRollout('web', report, PromotionError)).rejects.toThrow(
      new RegExp(
        `^${namespace}/Deployment/web stopped progressing \\(ProgressDeadlineExceeded: ReplicaSet "web-[a-z0-9]+" has timed out progressing\\.\\); 1/3 replicas updated, 3/3 available, 4 in total$`,
      ),
    );
    // the deadline is 1 s (the controller counts in whole seconds); readyTimeout is 20 s
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('restores the stable images captured before promotion, keeping nothing else in the snapshot', async () => {
    const { namespace, manager, report } = await setup('wl-restore');
    const snapshot = await manager.snapshotStable();
    // the snapshot goes into workflow history: images only, never the pod template with its env
    expect(snapshot).toEqual({ images: { app: 'registry.example.com/web:1.4.0' } });
    await manager.promoteStable(report);
    await manager.restoreStable(snapshot, report);
    const image = (await admin.apps.readNamespacedDeployment({ name: 'web', namespace })).spec
      ?.template.spec?.containers[0]?.image;
    expect(image).toBe('registry.example.com/web:1.4.0');
  });

  it('names the missing Deployment in a non-retryable error', async () => {
    const namespace = await freshNamespace(admin, 'wl-missing');
    const manager = new KubernetesWorkloadManager(admin.apps, namespace, SPEC, { pollMs: 50 });
    const error = await manager.prepareCanary(() => {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectNotFoundError);
    expect((error as Error).message).toBe(`${namespace}/Deployment/web-canary not found`);
  });
});
