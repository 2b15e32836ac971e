/**
 * deploy/rbac.yaml grants the engine what it needs and no more: with the API server authorizing by
 * RBAC alone, the engine's service account runs every router and the workload operations through a
 * whole release, and is refused (non-retryably) what it has no business doing.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createKubeClients, type KubeClients } from '../../activities/kube/kube-clients.js';
import { KubeRequestError } from '../../activities/kube/errors.js';
import { ObjectStore, toKubeError } from '../../activities/kube/objects.js';
import { GatewayApiRouter } from '../../activities/routers/gateway-api.js';
import { IstioRouter } from '../../activities/routers/istio.js';
import { NginxRouter } from '../../activities/routers/nginx.js';
import { TraefikRouter } from '../../activities/routers/traefik.js';
import type { TrafficRouter } from '../../activities/routers/types.js';
import { KubernetesWorkloadManager } from '../../activities/workloads/kubernetes.js';
import { userKubeconfigPath } from '../harness/kube.js';
import { deployment, freshNamespace, testKube } from '../fixtures/kube/cluster.js';
import {
  createApp,
  createReviews,
  createShop,
  createWeb,
  REVIEWS_ISTIO_ROUTER,
} from '../fixtures/kube/routing.js';

const ENGINE = 'system:serviceaccount:canary-system:canary-engine';
const RBAC = new URL('../../deploy/rbac.yaml', import.meta.url);

/** Applies deploy/rbac.yaml as the admin (once per API server: later runs find it in place). */
async function applyRbac(admin: KubeClients): Promise<void> {
  for (const doc of parseAllDocuments(readFileSync(RBAC, 'utf8'))) {
    const object = doc.toJS() as {
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace?: string };
    };
    try {
      if (object.kind === 'Namespace') await admin.core.createNamespace({ body: object });
      else if (object.kind === 'ServiceAccount')
        await admin.core.createNamespacedServiceAccount({
          namespace: object.metadata.namespace as string,
          body: object,
        });
      else {
        const plural = object.kind === 'ClusterRole' ? 'clusterroles' : 'clusterrolebindings';
        await admin.customObjects.createClusterCustomObject({
          group: 'rbac.authorization.k8s.io',
          version: 'v1',
          plural,
          body: object,
        });
      }
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
    }
  }
}

const admin = testKube();
describe.skipIf(!admin)('deploy/rbac.yaml', () => {
  let engine: KubeClients;
  beforeAll(async () => {
    await applyRbac(admin as KubeClients);
    engine = createKubeClients({
      kubeconfigPath: userKubeconfigPath(inject('kubeconfig') as string, ENGINE),
      env: {},
    });
  });

  async function release(router: TrafficRouter): Promise<void> {
    const cohorts = [{ type: 'header', name: 'x-env', value: 'canary' } as const];
    await router.initialize(cohorts);
    await router.setWeights({ stable: 80, canary: 20 });
    expect(await router.getWeights()).toEqual({ stable: 80, canary: 20 });
    expect(await router.finalize()).toEqual({ stable: 100, canary: 0 });
  }

  it('lets the engine run a release with each router', async () => {
    const namespace = await freshNamespace(admin as KubeClients, 'rbac-routers');
    const kube = admin as KubeClients;
    await Promise.all([
      createReviews(kube, namespace),
      createShop(kube, namespace),
      createWeb(kube, namespace),
      createApp(kube, namespace),
    ]);
    const store = new ObjectStore(engine.customObjects);
    await release(new IstioRouter(store, namespace, REVIEWS_ISTIO_ROUTER));
    await release(
      new GatewayApiRouter(store, namespace, {
        type: 'gateway-api',
        httpRoute: 'shop',
        stableService: 'shop-stable',
        canaryService: 'shop-canary',
      }),
    );
    await release(
      new NginxRouter(store, namespace, {
        type: 'nginx',
        ingress: 'web',
        stableService: 'web-stable',
        canaryService: 'web-canary',
      }),
    );
    await release(
      new TraefikRouter(store, namespace, {
        type: 'traefik',
        traefikService: 'app-weighted',
        ingressRoute: 'app',
        stableService: 'app-stable',
        canaryService: 'app-canary',
      }),
    );
  });

  it('lets the engine scale, promote and wait for Deployments', async () => {
    const kube = admin as KubeClients;
    const namespace = await freshNamespace(kube, 'rbac-workloads');
    await kube.apps.createNamespacedDeployment({
      namespace,
      body: deployment('web', 'web', 'stable', 'web:1', 2),
    });
    await kube.apps.createNamespacedDeployment({
      namespace,
      body: deployment('web-canary', 'web', 'canary', 'web:2', 0),
    });
    const manager = new KubernetesWorkloadManager(
      engine.apps,
      namespace,
      {
        type: 'kubernetes',
        stableDeployment: 'web',
        canaryDeployment: 'web-canary',
        canaryReplicas: 2,
        scaleWithWeight: true,
        minReplicas: 1,
        promotePodTemplate: false,
        readyTimeout: '20s',
      },
      { pollMs: 50 },
    );
    await manager.prepareCanary(() => {});
    await manager.scaleForWeight(50, () => {});
    await manager.promoteStable(() => {});
    await manager.scaleDownCanary(() => {});
  });

  it('refuses the engine anything else, with a non-retryable error naming the object', async () => {
    const namespace = await freshNamespace(admin as KubeClients, 'rbac-denied');
    const attempt = async (
      what: () => Promise<unknown>,
      ref: { namespace: string; kind: string; name: string },
      verb: string,
    ) => {
      const error = await what().then(
        () => undefined,
        (e: unknown) => toKubeError(e, ref, verb),
      );
      expect(error).toBeInstanceOf(KubeRequestError);
      expect((error as KubeRequestError).status).toBe(403);
      expect((error as KubeRequestError).nonRetryable).toBe(true);
      expect((error as Error).message).toContain(
        `${verb} ${ref.namespace}/${ref.kind}/${ref.name} failed with HTTP 403`,
      );
    };
    await attempt(
      () => engine.core.readNamespacedSecret({ name: 'tls', namespace }),
      { namespace, kind: 'Secret', name: 'tls' },
      'get',
    );
    await attempt(
      () => engine.apps.deleteNamespacedDeployment({ name: 'web', namespace }),
      { namespace, kind: 'Deployment', name: 'web' },
      'delete',
    );
    await attempt(
      () =>
        engine.customObjects.deleteNamespacedCustomObject({
          group: 'networking.istio.io',
          version: 'v1',
          namespace,
          plural: 'virtualservices',
          name: 'reviews',
        }),
      { namespace, kind: 'VirtualService', name: 'reviews' },
      'delete',
    );
  });
});
