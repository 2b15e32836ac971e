/**
 * The Kubernetes test harness itself: Deployments, ReplicaSets and Pods made by the real
 * kube-controller-manager, pods made Ready by the test kubelet (later, or never, when the pod
 * template says so), cascading deletion by the garbage collector, and an API server that can be
 * stopped and started again with the controllers and the kubelet carrying on.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createKubeClients, type KubeClients } from '../../activities/kube/kube-clients.js';
import { startKubeForTests } from '../harness/kube.js';
import {
  deployment,
  freshNamespace,
  NEVER_READY,
  READY_AFTER_MS,
  rolledOut,
  testKube,
} from '../fixtures/kube/cluster.js';

const kube = testKube();

function withPodAnnotations(d: V1Deployment, annotations: Record<string, string>): V1Deployment {
  d.spec!.template.metadata!.annotations = annotations;
  return d;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!kube)('the Kubernetes test harness', () => {
  const admin = kube as KubeClients;
  const read = (namespace: string, name = 'web') =>
    admin.apps.readNamespacedDeployment({ name, namespace });

  it('rolls a Deployment out through its own ReplicaSet and Running, Ready pods', async () => {
    const namespace = await freshNamespace(admin, 'harness-rollout');
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: deployment('web', 'web', 'stable', 'registry.example.com/web:1', 2),
    });
    const done = await rolledOut(admin, namespace, 'web');
    expect(done.status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2 });
    const sets = (await admin.apps.listNamespacedReplicaSet({ namespace })).items;
    expect(sets.map((rs) => rs.metadata?.ownerReferences?.[0]?.name)).toEqual(['web']);
    const pods = (await admin.core.listNamespacedPod({ namespace })).items;
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.metadata?.ownerReferences?.[0]?.name).toBe(sets[0]?.metadata?.name);
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({
        image: 'registry.example.com/web:1',
        ready: true,
      });
    }
  });

  it('makes pods Ready only after the delay their template asks for', async () => {
    const namespace = await freshNamespace(admin, 'harness-slow');
    const started = Date.now();
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: withPodAnnotations(deployment('web', 'web', 'stable', 'web:1', 1), {
        [READY_AFTER_MS]: '2000',
      }),
    });
    await sleep(1000);
    expect((await read(namespace)).status?.availableReplicas ?? 0).toBe(0);
    await rolledOut(admin, namespace, 'web');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });

  it('keeps pods of a never-ready template Running and unready, so the rollout stays stuck', async () => {
    const namespace = await freshNamespace(admin, 'harness-stuck');
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: withPodAnnotations(deployment('web', 'web', 'stable', 'web:1', 2), {
        [NEVER_READY]: 'true',
      }),
    });
    for (;;) {
      const pods = (await admin.core.listNamespacedPod({ namespace })).items;
      if (pods.length === 2 && pods.every((p) => p.status?.phase === 'Running')) break;
      await sleep(50);
    }
    await sleep(1500);
    const status = (await read(namespace)).status;
    expect(status?.replicas).toBe(2);
    expect(status?.readyReplicas ?? 0).toBe(0);
    expect(status?.availableReplicas ?? 0).toBe(0);
  });

  it('deletes the ReplicaSets and pods of a deleted Deployment', async () => {
    const namespace = await freshNamespace(admin, 'harness-gc');
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: deployment('web', 'web', 'stable', 'web:1', 2),
    });
    await rolledOut(admin, namespace, 'web');
    await admin.apps.deleteNamespacedDeployment({ name: 'web', namespace });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const sets = (await admin.apps.listNamespacedReplicaSet({ namespace })).items;
      const pods = (await admin.core.listNamespacedPod({ namespace })).items;
      if (sets.length === 0 && pods.length === 0) break;
      if (Date.now() > deadline)
        throw new Error(`${sets.length} ReplicaSets, ${pods.length} pods left`);
      await sleep(100);
    }
  });

  it('carries on rolling Deployments out after its API server was stopped and started again', async () => {
    const harness = await startKubeForTests();
    if (!harness) throw new Error('the shared API server runs, so this one should start too');
    try {
      const own = createKubeClients({ kubeconfigPath: harness.kubeconfigPath, env: {} });
      const namespace = await freshNamespace(own, 'harness-outage');
      await own.apps.createNamespacedDeployment({
        namespace,
        body: deployment('web', 'web', 'stable', 'web:1', 1),
      });
      await rolledOut(own, namespace, 'web');
      await harness.stopApiserver();
      await expect(own.core.listNamespace()).rejects.toThrow();
      await sleep(2000);
      await harness.startApiserver();
      await own.apps.replaceNamespacedDeploymentScale({
        name: 'web',
        namespace,
        body: { metadata: { name: 'web', namespace }, spec: { replicas: 3 } },
      });
      const done = await rolledOut(own, namespace, 'web', 60_000);
      expect(done.status?.availableReplicas).toBe(3);
    } finally {
      await harness.stop();
    }
  }, 120_000);
});
