/**
 * Acceptance: whole releases through each Kubernetes router, on the real Temporal dev server and
 * the real kube-apiserver, with the real activities, routers and workload manager. Only the
 * metrics are faked (test/fixtures/kube/release-stack.ts: healthy or degraded buckets for each
 * version that has Ready pods). The real
 * Deployment and ReplicaSet controllers roll the Deployments out; the test kubelet makes pods Ready.
 *
 * Every release must end with all traffic on stable, the canary scaled to 0 and no canary object
 * or cohort route left, whether it was promoted (stable now runs the canary's image) or rolled
 * back (stable untouched).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import { KINDS, objectRef } from '../../activities/kube/objects.js';
import { createActivities } from '../../activities/release-activities.js';
import { createTrafficRouter } from '../../activities/routers/factory.js';
import type { TrafficRouter } from '../../activities/routers/types.js';
import { createWorkloadManager } from '../../activities/workloads/factory.js';
import { startRelease } from '../../client/releases.js';
import type { RouterSpec } from '../../core/routing/config.js';
import { validateReleaseSpec, type ReleaseSpec } from '../../core/spec.js';
import { withStableVersion } from '../harness/release-spec.js';
import type { Weights } from '../../core/types.js';
import { statusQuery } from '../../workflows/messages.js';
import type { canaryRelease } from '../../workflows/release.js';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal.js';
import { startWorker } from '../harness/workflow-worker.js';
import {
  deployment,
  freshNamespace,
  objectExists,
  readObject,
  testKube,
} from '../fixtures/kube/cluster.js';
import {
  createApp,
  createReviews,
  createShop,
  createWeb,
  REVIEWS_ISTIO_ROUTER,
} from '../fixtures/kube/routing.js';
import { COHORT_SUFFIX } from '../../activities/routers/shared.js';
import { PodLabelMetrics, type Health } from '../fixtures/kube/release-stack.js';

const COHORT_HEADER = { type: 'header', name: 'x-env', value: 'canary' } as const;

/** The routing objects, the router spec and how to find what a router may leave behind, per router. */
const ROUTERS: Record<
  RouterSpec['type'] & string,
  | {
      create(kube: KubeClients, namespace: string): Promise<void>;
      router: RouterSpec;
      cohorts: unknown[];
      leftovers(kube: KubeClients, namespace: string): Promise<string[]>;
    }
  | undefined
> = {
  istio: {
    create: createReviews,
    router: REVIEWS_ISTIO_ROUTER,
    cohorts: [COHORT_HEADER, { type: 'cookie', name: 'tenantGray', value: '1' }],
    async leftovers(kube, namespace) {
      const http = (
        (await readObject(kube, objectRef(KINDS.virtualService, namespace, 'reviews'))).spec as {
          http: { name?: string }[];
        }
      ).http;
      return http
        .filter((r) => r.name?.endsWith(COHORT_SUFFIX))
        .map((r) => `cohort route ${r.name}`);
    },
  },
  'gateway-api': {
    create: createShop,
    router: {
      type: 'gateway-api',
      httpRoute: 'shop',
      stableService: 'shop-stable',
      canaryService: 'shop-canary',
    },
    cohorts: [COHORT_HEADER, { type: 'cookie', name: 'tenantGray', value: '1' }],
    async leftovers(kube, namespace) {
      const route = await readObject(kube, objectRef(KINDS.httpRoute, namespace, 'shop'));
      const rules = (route.spec as { rules: { name?: string }[] }).rules
        .filter((r) => r.name?.endsWith(COHORT_SUFFIX))
        .map((r) => `cohort rule ${r.name}`);
      return [
        ...rules,
        ...Object.keys(route.metadata.annotations ?? {}).filter((k) =>
          k.startsWith('canary-engine.io/'),
        ),
      ];
    },
  },
  nginx: {
    create: createWeb,
    router: {
      type: 'nginx',
      ingress: 'web',
      stableService: 'web-stable',
      canaryService: 'web-canary',
    },
    cohorts: [COHORT_HEADER, { type: 'cookie', name: 'web_canary', value: 'always' }],
    leftovers: async (kube, namespace) =>
      (await objectExists(kube, objectRef(KINDS.ingress, namespace, 'web-canary')))
        ? ['canary Ingress web-canary']
        : [],
  },
  traefik: {
    create: createApp,
    router: {
      type: 'traefik',
      traefikService: 'app-weighted',
      ingressRoute: 'app',
      stableService: 'app-stable',
      canaryService: 'app-canary',
    },
    cohorts: [COHORT_HEADER],
    leftovers: async (kube, namespace) =>
      (await objectExists(kube, objectRef(KINDS.ingressRoute, namespace, `app${COHORT_SUFFIX}`)))
        ? [`cohort IngressRoute app${COHORT_SUFFIX}`]
        : [],
  },
  sandbox: undefined,
};

/** Records every weight a router wrote, to check the release walked its steps. */
function recording(router: TrafficRouter, history: number[]): TrafficRouter {
  return {
    target: router.target,
    initialize: (cohorts) => router.initialize(cohorts),
    getWeights: () => router.getWeights(),
    setWeights: async (weights: Weights) => {
      const written = await router.setWeights(weights);
      history.push(written.canary);
      return written;
    },
    finalize: () => router.finalize(),
    // the pre-flight (objects, opt-in, Services, access) runs through the recorder too
    preflight: async (release: ReleaseSpec) => (await router.preflight?.(release)) ?? [],
  };
}

const kube = testKube();
describe.skipIf(!kube)('a release on Kubernetes', () => {
  const admin = kube as KubeClients;
  const health = new Map<string, Health>();
  const metrics = new PodLabelMetrics(admin, (namespace, version) =>
    version === 'v2' ? (health.get(namespace) as Health) : 'healthy',
  );
  const histories = new Map<string, number[]>();
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let workerDone: Promise<void>;
  const taskQueue = uniqueTaskQueue('release-on-kube');

  beforeAll(async () => {
    env = await connectTestEnv();
    const activities = createActivities({
      routerFor: (spec) =>
        recording(createTrafficRouter(spec, admin), histories.get(spec.namespace) as number[]),
      workloadsFor: (spec) => createWorkloadManager(spec, admin, { kubernetes: { pollMs: 100 } }),
      // the canary's version (v2) behaves as the test says; data only from Ready pods of a version
      metricsFor: () => metrics,
      scrapeLagMs: () => 200,
    });
    worker = await startWorker(env, taskQueue, activities);
    workerDone = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await workerDone;
    await env?.teardown();
  });

  async function release(type: keyof typeof ROUTERS, canary: Health) {
    const setup = ROUTERS[type];
    if (!setup) throw new Error(`no Kubernetes setup for ${type}`);
    const namespace = await freshNamespace(admin, `release-${type}`);
    health.set(namespace, canary);
    histories.set(namespace, []);
    await setup.create(admin, namespace);
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: deployment('web', 'web', 'stable', 'registry.example.com/web:v1', 2),
    });
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: deployment('web-canary', 'web', 'canary', 'registry.example.com/web:v2', 0),
    });
    const validated = validateReleaseSpec({
      // every router type releases "web" in its own namespace: a release id names one release
      releaseId: `web-${namespace}`,
      service: 'web',
      namespace,
      stableVersion: 'v1',
      canaryVersion: 'v2',
      router: setup.router,
      workloads: {
        type: 'kubernetes',
        stableDeployment: 'web',
        canaryDeployment: 'web-canary',
        canaryReplicas: 4,
        scaleWithWeight: true,
        minReplicas: 1,
        readyTimeout: '30s',
      },
      cohorts: setup.cohorts,
      schedule: {
        steps: [
          { weight: 20, observe: '3s' },
          { weight: 50, observe: '3s' },
        ],
      },
      analysis: { bucket: '1s' },
    });
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems));
    const spec: ReleaseSpec = withStableVersion(validated.spec);
    const started = await startRelease(env.client, spec, { taskQueue });
    const handle = env.client.workflow.getHandle<typeof canaryRelease>(started.workflowId);
    await handle.result().catch(() => undefined);
    const status = await handle.query(statusQuery);
    const router = createTrafficRouter(spec, admin);
    const stable = await admin.apps.readNamespacedDeployment({ name: 'web', namespace });
    const canaryScale = await admin.apps.readNamespacedDeploymentScale({
      name: 'web-canary',
      namespace,
    });
    return {
      status,
      weights: await router.getWeights(),
      leftovers: await setup.leftovers(admin, namespace),
      stableImage: stable.spec?.template.spec?.containers[0]?.image,
      canaryReplicas: canaryScale.spec?.replicas ?? 0,
      history: histories.get(namespace) as number[],
    };
  }

  describe.concurrent.each(['istio', 'gateway-api', 'nginx', 'traefik'] as const)(
    'through the %s router',
    (type) => {
      it('promotes a healthy canary and leaves all traffic on stable, now running the canary image, with nothing of the canary left', async () => {
        const result = await release(type, 'healthy');
        expect(result.status.phase, result.status.outcome ?? '').toBe('Promoted');
        expect(result.history).toEqual(expect.arrayContaining([20, 50]));
        expect(result.weights).toEqual({ stable: 100, canary: 0 });
        expect(result.stableImage).toBe('registry.example.com/web:v2');
        expect(result.canaryReplicas).toBe(0);
        expect(result.leftovers).toEqual([]);
      }, 120_000);

      it('rolls back a degraded canary and leaves all traffic on the untouched stable, with nothing of the canary left', async () => {
        const result = await release(type, 'degraded');
        expect(result.status.phase, result.status.outcome ?? '').toBe('RolledBack');
        expect(result.history).toContain(20);
        expect(result.history).not.toContain(50);
        expect(result.weights).toEqual({ stable: 100, canary: 0 });
        expect(result.stableImage).toBe('registry.example.com/web:v1');
        expect(result.canaryReplicas).toBe(0);
        expect(result.leftovers).toEqual([]);
      }, 120_000);
    },
  );
});
