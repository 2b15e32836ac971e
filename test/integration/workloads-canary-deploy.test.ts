/**
 * The engine deploys the canary (workloads.canary) on a real kube-apiserver, from a namespace that
 * holds only the stable Deployment: the canary is created from it, sized for each weight, promoted
 * (stable gets the new image and version label), and the next release reads its stable version
 * from there; at the end the canary is deleted or kept at 0 replicas as the spec says. The real
 * Deployment and ReplicaSet controllers run there, and the test kubelet makes pods Ready.
 */
import { describe, expect, it } from 'vitest';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import { ObjectNotFoundError } from '../../activities/kube/errors.js';
import {
  CanaryDeploymentError,
  StableVersionUnknownError,
} from '../../activities/workloads/errors.js';
import {
  KubernetesWorkloadManager,
  type KubernetesWorkloadsSpec,
} from '../../activities/workloads/kubernetes.js';
import { describeWorkloadManagerContract } from '../contract/workload-manager.contract.js';
import { deployment, freshNamespace, rolledOut, testKube } from '../fixtures/kube/cluster.js';
import { testSpec } from '../harness/release-spec.js';

const kube = testKube();
const IMAGE = 'registry.example.com/web:1.5.0';
const SPEC: KubernetesWorkloadsSpec = {
  type: 'kubernetes',
  stableDeployment: 'web',
  canaryDeployment: 'web-canary',
  canary: { images: { app: IMAGE }, onEnd: 'delete' },
  canaryReplicas: 1,
  scaleWithWeight: false,
  minReplicas: 1,
  promotePodTemplate: false,
  readyTimeout: '20s',
};

/** Only the stable Deployment "web" (image 1.4.0, label version=1.4.0, 4 replicas). */
async function stableOnly(admin: KubeClients, prefix: string): Promise<string> {
  const namespace = await freshNamespace(admin, prefix);
  await admin.apps.createNamespacedDeployment({
    namespace,
    body: deployment('web', 'web', 'stable', 'registry.example.com/web:1.4.0', 4),
  });
  await rolledOut(admin, namespace, 'web');
  return namespace;
}

function managerFor(
  namespace: string,
  spec: Partial<KubernetesWorkloadsSpec> = {},
  canaryVersion = '1.5.0',
): KubernetesWorkloadManager {
  return new KubernetesWorkloadManager(
    kube as KubeClients,
    { namespace, service: 'web', canaryVersion },
    { ...SPEC, ...spec },
    { pollMs: 50 },
  );
}

/** The release the worlds are prepared for: "web" from 1.4.0 (the stable's label) to 1.5.0. */
const RELEASE = testSpec({ service: 'web', stableVersion: '1.4.0', canaryVersion: '1.5.0' });

describeWorkloadManagerContract({
  name: 'KubernetesWorkloadManager deploying its own canary',
  available: kube !== null,
  release: RELEASE,
  async fresh(prefix) {
    const admin = kube as KubeClients;
    const namespace = await stableOnly(admin, prefix);
    const read = (name: string) => admin.apps.readNamespacedDeployment({ name, namespace });
    return {
      manager: managerFor(namespace),
      versions: { stable: 'registry.example.com/web:1.4.0', canary: IMAGE },
      stableRuns: async () => (await read('web')).spec?.template.spec?.containers[0]?.image ?? '',
      canary: async () => {
        const replicas = await read('web-canary').then(
          (d) => d.spec?.replicas ?? 0,
          () => 0,
        );
        return { up: replicas > 0, capacity: replicas };
      },
      stableObject: `${namespace}/Deployment/web`,
    };
  },
  async missing(prefix) {
    const namespace = await freshNamespace(kube as KubeClients, prefix);
    return {
      manager: managerFor(namespace),
      objects: [`${namespace}/Deployment/web`],
      error: ObjectNotFoundError,
      nonRetryable: true,
      absentCanaryIsDone: true,
    };
  },
});

describe.skipIf(!kube)('KubernetesWorkloadManager deploying the canary', () => {
  const admin = kube as KubeClients;
  const read = (namespace: string, name: string) =>
    admin.apps.readNamespacedDeployment({ name, namespace });
  const report = () => undefined;

  it('creates the canary from the stable, sizes it for each weight, promotes the whole identity, and the next release finds its baseline', async () => {
    const namespace = await stableOnly(admin, 'deploy-cycle');
    const manager = managerFor(namespace, { minReplicas: 1 });
    expect(await manager.preflight(RELEASE)).toEqual([]);
    expect(await manager.currentStableVersion()).toBe('1.4.0');

    await manager.prepareCanary(report);
    const canary = await read(namespace, 'web-canary');
    expect(canary.metadata?.annotations).toMatchObject({
      'canary-engine.io/owned-by': `${namespace}/web`,
    });
    expect(canary.metadata?.labels).toMatchObject({ 'canary-engine.io/service': 'web' });
    expect(canary.spec?.selector.matchLabels).toEqual({
      app: 'web',
      track: 'stable',
      version: '1.5.0',
      'canary-engine.io/arm': 'canary',
    });
    expect(canary.spec?.template.metadata?.labels).toMatchObject({ version: '1.5.0' });
    expect(canary.spec?.template.spec?.containers[0]?.image).toBe(IMAGE);
    expect(canary.spec?.replicas).toBe(1);

    // 4 stable replicas: 10% → 1, 50% → 2, 100% → as many as stable before all traffic moves
    for (const [weight, expected] of [
      [10, 1],
      [50, 2],
      [100, 4],
    ] as const) {
      await manager.scaleForWeight(weight, report);
      expect((await read(namespace, 'web-canary')).spec?.replicas).toBe(expected);
    }

    const before = await read(namespace, 'web');
    await manager.promoteStable(report);
    const after = await read(namespace, 'web');
    expect(after.spec?.template.spec?.containers[0]?.image).toBe(IMAGE);
    expect(after.spec?.template.metadata?.labels).toEqual({
      app: 'web',
      track: 'stable',
      version: '1.5.0',
    });
    expect(after.spec?.selector).toEqual(before.spec?.selector);

    await manager.scaleDownCanary(report);
    await expect(read(namespace, 'web-canary')).rejects.toMatchObject({ code: 404 });

    // the next release, with no stableVersion in its spec, reads 1.5.0 from the stable
    const next = managerFor(namespace, {}, '1.6.0');
    expect(await next.currentStableVersion()).toBe('1.5.0');
  });

  it('keeps the canary at 0 replicas at the end with onEnd scaleToZero, and updates it for the next release', async () => {
    const namespace = await stableOnly(admin, 'deploy-zero');
    const spec = { canary: { images: { app: IMAGE }, onEnd: 'scaleToZero' as const } };
    const manager = managerFor(namespace, spec);
    await manager.prepareCanary(report);
    await manager.scaleDownCanary(report);
    expect((await read(namespace, 'web-canary')).spec?.replicas).toBe(0);

    const next = managerFor(
      namespace,
      { canary: { images: { app: 'registry.example.com/web:1.6.0' }, onEnd: 'scaleToZero' } },
      '1.6.0',
    );
    await next.prepareCanary(report);
    const updated = await read(namespace, 'web-canary');
    expect(updated.spec?.template.spec?.containers[0]?.image).toBe(
      'registry.example.com/web:1.6.0',
    );
    expect(updated.spec?.selector.matchLabels?.version).toBe('1.6.0');
    expect(updated.spec?.replicas).toBe(1);
  });

  it('applies the pod-template patch to the canary and, at promotion, to the stable', async () => {
    const namespace = await stableOnly(admin, 'deploy-patch');
    const patch = {
      metadata: { annotations: { 'prometheus.io/scrape': 'true' } },
      spec: { terminationGracePeriodSeconds: 5 },
    };
    const manager = managerFor(namespace, {
      canary: { images: { app: IMAGE }, podTemplatePatch: patch, onEnd: 'delete' },
    });
    await manager.prepareCanary(report);
    const canary = (await read(namespace, 'web-canary')).spec?.template;
    expect(canary?.metadata?.annotations).toEqual({ 'prometheus.io/scrape': 'true' });
    expect(canary?.spec?.terminationGracePeriodSeconds).toBe(5);
    await manager.promoteStable(report);
    const stable = (await read(namespace, 'web')).spec?.template;
    expect(stable?.metadata?.annotations).toEqual({ 'prometheus.io/scrape': 'true' });
    expect(stable?.spec?.terminationGracePeriodSeconds).toBe(5);
    expect(stable?.metadata?.labels?.['canary-engine.io/arm']).toBeUndefined();
  });

  it("refuses a Deployment of the canary's name that it did not create, naming it, and changes nothing", async () => {
    const namespace = await stableOnly(admin, 'deploy-foreign');
    const foreign = deployment('web-canary', 'web', 'canary', 'registry.example.com/web:0.9', 0);
    await admin.apps.createNamespacedDeployment({ namespace, body: foreign });
    const before = await read(namespace, 'web-canary');
    const manager = managerFor(namespace);
    expect(await manager.preflight(RELEASE)).toEqual([
      {
        object: `${namespace}/Deployment/web-canary`,
        message: `exists but was not created by canary-engine for ${namespace}/web (annotation canary-engine.io/owned-by), so the engine will not change it; delete it or name another workloads.canaryDeployment`,
      },
    ]);
    const error = await manager.prepareCanary(report).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanaryDeploymentError);
    expect((error as Error).message).toContain(`${namespace}/Deployment/web-canary exists but`);
    // the Deployment controller writes its status; its spec is untouched
    const after = await read(namespace, 'web-canary');
    expect(after.metadata?.generation).toBe(before.metadata?.generation);
    expect(after.spec).toEqual(before.spec);
  });

  it('lists at pre-flight every problem that depends on the live stable Deployment, naming the field', async () => {
    const namespace = await freshNamespace(admin, 'deploy-problems');
    const stable = deployment('web', 'web', 'stable', 'registry.example.com/web:1.4.0', 2);
    stable.spec!.selector.matchLabels = { app: 'web', version: '1.4.0' };
    await admin.apps.createNamespacedDeployment({ namespace, body: stable });
    const manager = managerFor(namespace, {
      canary: {
        images: { sidecar: IMAGE },
        podTemplatePatch: { metadata: { labels: { app: 'other' } } },
        onEnd: 'delete',
      },
    });
    const object = `${namespace}/Deployment/web`;
    expect(await manager.preflight(RELEASE)).toEqual([
      {
        object,
        message:
          'workloads.stableDeployment: its selector includes the label "version" (version=1.4.0), so promotion cannot give its pods the canary\'s version and the next release would find no baseline; select the stable\'s pods by other labels',
      },
      {
        object,
        message:
          'workloads.canary.images.sidecar: the stable Deployment has no container "sidecar" (it has "app")',
      },
      {
        object,
        message:
          'workloads.canary.podTemplatePatch.metadata.labels.app: may not change "app", a label of the stable Deployment\'s selector (app=web)',
      },
    ]);
  });

  it('names the Deployment and the label when the stable version cannot be read', async () => {
    const namespace = await stableOnly(admin, 'deploy-nolabel');
    const stable = await read(namespace, 'web');
    delete stable.spec!.template.metadata!.labels!.version;
    await admin.apps.replaceNamespacedDeployment({ name: 'web', namespace, body: stable });
    const error = await managerFor(namespace)
      .currentStableVersion()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StableVersionUnknownError);
    expect((error as Error).message).toBe(
      `${namespace}/Deployment/web has no "version" label on its pod template, so the stable version is unknown: set stableVersion in the spec, or label the pods`,
    );
  });
});
