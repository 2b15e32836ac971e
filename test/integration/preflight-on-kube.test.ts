/**
 * The pre-flight on the real kube-apiserver (and a real Prometheus), through prepareRelease with
 * the real factories: a typo, a missing RBAC verb, no metrics for the stable version, and several
 * problems at once are each refused with every problem listed and no object changed (every
 * object's resourceVersion compared before and after); a release with everything in order passes
 * and is prepared.
 */
import { readFileSync } from 'node:fs';
import {
  AppsV1Api,
  AuthorizationV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
} from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import { KINDS, objectRef } from '../../activities/kube/objects.js';
import { createMetricsProvider } from '../../activities/metrics/factory.js';
import { createActivities } from '../../activities/release-activities.js';
import { createTrafficRouter } from '../../activities/routers/factory.js';
import { createWorkloadManager } from '../../activities/workloads/factory.js';
import { preflightProblems } from '../../core/preflight.js';
import { validateReleaseSpec, type SubmittedSpec } from '../../core/spec.js';
import { withStableVersion } from '../harness/release-spec.js';
import { releaseWorkloads, startExporter, type TestExporter } from '../harness/exporter.js';
import { startPrometheus, type PrometheusHarness } from '../harness/prometheus.js';
import {
  deployment,
  freshNamespace,
  readObject,
  rolledOut,
  testKube,
} from '../fixtures/kube/cluster.js';
import { createReviews, REVIEWS_ISTIO_ROUTER } from '../fixtures/kube/routing.js';

/** Clients that act as `user` (the admin impersonating it), authorized by RBAC alone. */
function impersonating(user: string): KubeClients {
  const admin = new KubeConfig();
  admin.loadFromFile(inject('kubeconfig') as string);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: admin.clusters,
    users: admin.users.map((u) => ({ ...u, impersonateUser: user })),
    contexts: admin.contexts,
    currentContext: admin.currentContext,
  });
  return {
    kubeConfig,
    customObjects: kubeConfig.makeApiClient(CustomObjectsApi),
    apps: kubeConfig.makeApiClient(AppsV1Api),
    core: kubeConfig.makeApiClient(CoreV1Api),
    authorization: kubeConfig.makeApiClient(AuthorizationV1Api),
    autoscaling: kubeConfig.makeApiClient(AutoscalingV2Api),
    defaultNamespace: 'default',
    source: `impersonating ${user}`,
  };
}

/** The ClusterRole rules of deploy/rbac.yaml. */
function engineRules(): { apiGroups: string[]; resources: string[]; verbs: string[] }[] {
  const docs = parseAllDocuments(
    readFileSync(new URL('../../deploy/rbac.yaml', import.meta.url), 'utf8'),
  ).map((d) => d.toJS() as { kind: string; rules?: never[] });
  return docs.find((d) => d.kind === 'ClusterRole')?.rules ?? [];
}

async function refusal(work: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

const kube = testKube();
describe.skipIf(!kube)('the pre-flight on Kubernetes', () => {
  const admin = kube as KubeClients;
  let exporter: TestExporter;
  let prometheus: PrometheusHarness;
  /** Per namespace: the identity the worker acts as, and how long the metrics check waits for data. */
  const worker = new Map<string, { clients: KubeClients; waitMs: number }>();
  const of = (spec: SubmittedSpec) => worker.get(spec.namespace) ?? { clients: admin, waitMs: 0 };
  const activities = createActivities({
    routerFor: (spec) => createTrafficRouter(spec, of(spec).clients),
    workloadsFor: (spec) =>
      createWorkloadManager(spec, of(spec).clients, { kubernetes: { pollMs: 50 } }),
    metricsFor: (spec) =>
      createMetricsProvider(spec.analysis.metrics, { preflightWaitMs: of(spec).waitMs }),
  });

  beforeAll(async () => {
    exporter = await startExporter();
    prometheus = await startPrometheus({ scrapeTargets: [exporter.target] });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.stop();
  });

  /** A namespace with the "reviews" routing and Deployments web (v1) and web-canary (`canaryTag`). */
  async function cluster(prefix: string, canaryTag = 'v2'): Promise<string> {
    const namespace = await freshNamespace(admin, prefix);
    await createReviews(admin, namespace);
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: deployment('web', 'web', 'stable', 'registry.example.com/web:v1', 2),
    });
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: deployment('web-canary', 'web', 'canary', `registry.example.com/web:${canaryTag}`, 0),
    });
    // the real controllers write the Deployments' status; wait, so resourceVersions hold still
    await rolledOut(admin, namespace, 'web');
    await rolledOut(admin, namespace, 'web-canary');
    return namespace;
  }

  function release(namespace: string, router: Partial<typeof REVIEWS_ISTIO_ROUTER> = {}) {
    const validated = validateReleaseSpec({
      releaseId: `preflight-${namespace}`,
      service: 'web',
      namespace,
      stableVersion: 'v1',
      canaryVersion: 'v2',
      router: { ...REVIEWS_ISTIO_ROUTER, ...router },
      workloads: {
        type: 'kubernetes',
        stableDeployment: 'web',
        canaryDeployment: 'web-canary',
        readyTimeout: '20s',
      },
      analysis: { bucket: '2s', metrics: { address: prometheus.url, preset: 'istio' } },
    });
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems));
    return withStableVersion(validated.spec);
  }

  /** Traffic of the stable version, so the metrics check finds data. */
  function stableTraffic(namespace: string): () => void {
    const arms = releaseWorkloads({
      namespace,
      service: 'web',
      stableVersion: 'v1',
      canaryVersion: 'v2',
    });
    exporter.prime(arms.baseline);
    const timer = setInterval(() => exporter.record(arms.baseline, { requests: 5 }), 200);
    return () => clearInterval(timer);
  }

  /** Every object's resourceVersion (and the canary's replicas), to prove nothing changed. */
  async function snapshot(namespace: string) {
    const deployments = await admin.apps.listNamespacedDeployment({ namespace });
    return {
      deployments: deployments.items.map((d) => [
        d.metadata?.name,
        d.metadata?.resourceVersion,
        d.spec?.replicas,
      ]),
      virtualService: (
        await readObject(admin, objectRef(KINDS.virtualService, namespace, 'reviews'))
      ).metadata.resourceVersion,
      destinationRule: (
        await readObject(admin, objectRef(KINDS.destinationRule, namespace, 'reviews'))
      ).metadata.resourceVersion,
    };
  }

  it('refuses a release whose VirtualService name has a typo, listing it, and changes no object', async () => {
    const namespace = await cluster('preflight-typo');
    const stop = stableTraffic(namespace);
    worker.set(namespace, { clients: admin, waitMs: 15_000 });
    try {
      const before = await snapshot(namespace);
      const failure = await refusal(
        activities.prepareRelease(release(namespace, { virtualService: 'revews' })),
      );
      expect(failure.type).toBe('PreflightRejectedError');
      expect(failure.nonRetryable).toBe(true);
      expect(preflightProblems(failure.details)).toEqual([
        { object: `${namespace}/VirtualService/revews`, message: 'does not exist' },
      ]);
      expect(await snapshot(namespace)).toEqual(before);
    } finally {
      stop();
    }
  }, 60_000);

  it('names the verb and resource the worker’s identity may not use', async () => {
    const namespace = await cluster('preflight-rbac');
    const user = `system:serviceaccount:${namespace}:limited-engine`;
    // the engine's rules, but no update of VirtualServices
    const rules = engineRules().map((rule) =>
      rule.resources.includes('virtualservices')
        ? { ...rule, verbs: rule.verbs.filter((v) => v !== 'update') }
        : rule,
    );
    const rbac = { group: 'rbac.authorization.k8s.io', version: 'v1', namespace };
    await admin.customObjects.createNamespacedCustomObject({
      ...rbac,
      plural: 'roles',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'limited' },
        rules,
      },
    });
    await admin.customObjects.createNamespacedCustomObject({
      ...rbac,
      plural: 'rolebindings',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'limited' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'limited' },
        subjects: [{ kind: 'ServiceAccount', name: 'limited-engine', namespace }],
      },
    });
    const limited = impersonating(user);
    // the authorizer learns of new roles through a watch: wait until the role is in effect
    for (let i = 0; i < 100; i += 1) {
      const answer = await limited.authorization.createSelfSubjectAccessReview({
        body: {
          spec: {
            resourceAttributes: {
              verb: 'get',
              group: 'networking.istio.io',
              resource: 'virtualservices',
              namespace,
            },
          },
        },
      });
      if (answer.status?.allowed) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stop = stableTraffic(namespace);
    worker.set(namespace, { clients: limited, waitMs: 15_000 });
    try {
      const before = await snapshot(namespace);
      const failure = await refusal(activities.prepareRelease(release(namespace)));
      expect(preflightProblems(failure.details)).toEqual([
        {
          object: `${namespace}/virtualservices/reviews`,
          message:
            'the worker may not update virtualservices (networking.istio.io) here: grant it, as deploy/rbac.yaml does',
        },
      ]);
      expect(await snapshot(namespace)).toEqual(before);
    } finally {
      stop();
    }
  }, 60_000);

  it('lists several problems at once: a typo, a canary without the canary version, no metrics for the stable version', async () => {
    const namespace = await cluster('preflight-many', 'v3');
    const before = await snapshot(namespace);
    const failure = await refusal(
      activities.prepareRelease(release(namespace, { virtualService: 'revews' })),
    );
    const problems = preflightProblems(failure.details) ?? [];
    expect(problems.map((p) => p.object)).toEqual([
      `${namespace}/Deployment/web-canary`,
      `${namespace}/VirtualService/revews`,
      `prometheus ${prometheus.url}`,
    ]);
    expect(problems[0]?.message).toMatch(
      /^its pod template has version: v3, not the release's canaryVersion "v2"; /,
    );
    expect(problems[2]?.message).toMatch(
      new RegExp(
        `^has no data for the stable version v1 of ${namespace}/web in the last 5 minutes`,
      ),
    );
    expect(failure.message).toContain('found 3 problems, so the release changes nothing');
    expect(await snapshot(namespace)).toEqual(before);
  }, 60_000);

  it('passes a release with its objects, access and metrics in order, and prepares it', async () => {
    const namespace = await cluster('preflight-ok');
    const stop = stableTraffic(namespace);
    worker.set(namespace, { clients: admin, waitMs: 15_000 });
    try {
      expect(await activities.prepareRelease(release(namespace))).toEqual({
        stable: 100,
        canary: 0,
      });
      const canary = await admin.apps.readNamespacedDeployment({ name: 'web-canary', namespace });
      expect(canary.spec?.replicas).toBe(1);
    } finally {
      stop();
    }
  }, 60_000);
});
