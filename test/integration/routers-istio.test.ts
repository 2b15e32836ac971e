/**
 * IstioRouter on a real kube-apiserver: the TrafficRouter contract for both ways of telling the
 * versions apart (DestinationRule subsets of one host, two hosts), then what the cohort route
 * looks like and how misconfiguration is reported.
 */
import { describe, expect, it } from 'vitest';
import { describeRef, KINDS, ObjectStore, objectRef } from '../../activities/kube/objects.js';
import { RouterConfigError } from '../../activities/routers/errors.js';
import { IstioRouter, type IstioRouterSpec } from '../../activities/routers/istio.js';
import type { Cohort } from '../../core/routing/config.js';
import { createRatings, createReviews, REVIEWS_ISTIO_ROUTER } from '../fixtures/kube/routing.js';
import { describeKubeRouterContract } from '../contract/kube-routers.js';
import { createObject, freshNamespace, readObject, testKube } from '../fixtures/kube/cluster.js';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import { COHORT_SUFFIX } from '../../activities/routers/shared.js';
import { createActivities } from '../../activities/release-activities.js';
import type { WorkloadManager } from '../../activities/workloads/types.js';
import { bucketRegex } from '../../core/routing/buckets.js';
import { testSpec } from '../harness/release-spec.js';

const COHORTS: Cohort[] = [
  { type: 'header', name: 'X-Env', value: 'canary' },
  { type: 'cookie', name: 'tenantGray', value: '1' },
  { type: 'headerRegex', name: 'x-user-id', regex: '^(1|7|42)$' },
  { type: 'userBucket', header: 'x-user-id', idFormat: 'decimal', percent: 5 },
  { type: 'queryParam', name: 'ab_test', regex: 'v2|v3' },
];

const SUBSETS: IstioRouterSpec = REVIEWS_ISTIO_ROUTER;
const HOSTS: IstioRouterSpec = {
  type: 'istio',
  virtualService: 'ratings',
  destinations: {
    kind: 'hosts',
    stableHost: 'ratings-stable',
    canaryHost: 'ratings-canary.NS.svc.cluster.local',
  },
};

function hostsSpec(namespace: string): IstioRouterSpec {
  return {
    ...HOSTS,
    destinations: {
      kind: 'hosts',
      stableHost: 'ratings-stable',
      canaryHost: `ratings-canary.${namespace}.svc.cluster.local`,
    },
  };
}

interface HttpRoute {
  name?: string;
  route?: unknown;
  [key: string]: unknown;
}

function istioFixture(
  kube: KubeClients,
  namespace: string,
  spec: IstioRouterSpec,
  managed: string | undefined,
) {
  const ref = objectRef(KINDS.virtualService, namespace, spec.virtualService);
  const routes = async () => ((await readObject(kube, ref)).spec as { http: HttpRoute[] }).http;
  const isCohort = (r: HttpRoute) => r.name?.endsWith(COHORT_SUFFIX) ?? false;
  return {
    router: new IstioRouter(new ObjectStore(kube.customObjects), namespace, spec),
    weightedObject: ref,
    async unrelatedConfig() {
      const vs = await readObject(kube, ref);
      const http = (vs.spec as { http: HttpRoute[] }).http
        .filter((r) => !isCohort(r))
        .map((r, i) => {
          if ((managed === undefined && i === 0) || r.name === managed) {
            const { route: _route, ...rest } = r;
            return rest;
          }
          return r;
        });
      return {
        labels: vs.metadata.labels,
        annotations: vs.metadata.annotations,
        spec: { ...(vs.spec as object), http },
      };
    },
    cohortRouting: async () => (await routes()).filter(isCohort),
    leftovers: async () =>
      (await routes()).filter(isCohort).map((r) => `${describeRef(ref)}#${r.name}`),
  };
}

describeKubeRouterContract({
  name: 'IstioRouter with DestinationRule subsets',
  cohorts: COHORTS,
  async setup(kube, namespace) {
    await createReviews(kube, namespace);
    return istioFixture(kube, namespace, SUBSETS, 'primary');
  },
  missing: (kube, namespace) => ({
    router: new IstioRouter(new ObjectStore(kube.customObjects), namespace, SUBSETS),
    object: `${namespace}/VirtualService/reviews`,
  }),
});

describeKubeRouterContract({
  name: 'IstioRouter with two hosts and the default (first) route',
  cohorts: COHORTS,
  async setup(kube, namespace) {
    await createRatings(kube, namespace);
    return istioFixture(kube, namespace, hostsSpec(namespace), undefined);
  },
  missing: (kube, namespace) => ({
    router: new IstioRouter(new ObjectStore(kube.customObjects), namespace, hostsSpec(namespace)),
    object: `${namespace}/VirtualService/ratings`,
  }),
});

const kube = testKube();
describe.skipIf(!kube)('IstioRouter', () => {
  const admin = kube as KubeClients;

  it('puts a cohort route before the managed route that matches each original match combined with each cohort, and copies its settings', async () => {
    const namespace = await freshNamespace(admin, 'istio-cohort');
    await createReviews(admin, namespace);
    const router = new IstioRouter(new ObjectStore(admin.customObjects), namespace, SUBSETS);
    await router.initialize(COHORTS);
    await router.setWeights({ stable: 95, canary: 5 });
    const http = (
      (await readObject(admin, objectRef(KINDS.virtualService, namespace, 'reviews'))).spec as {
        http: HttpRoute[];
      }
    ).http;
    expect(http.map((r) => r.name)).toEqual([
      'admin',
      `primary${COHORT_SUFFIX}`,
      'primary',
      'fallback',
    ]);
    const cookie = { regex: '^(.*?;\\s*)?tenantGray=1(;.*)?$' };
    const bucket = { 'x-user-id': { regex: '^(?:.*(?:0[0-4])|(?:.*[^0-9])?[0-4])$' } };
    const query = { ab_test: { regex: '^(?:v2|v3)$' } };
    expect(http[1]).toEqual({
      name: `primary${COHORT_SUFFIX}`,
      match: [
        { uri: { prefix: '/api' }, headers: { 'x-env': { exact: 'canary' } } },
        { uri: { prefix: '/api' }, headers: { cookie } },
        { uri: { prefix: '/api' }, headers: { 'x-user-id': { regex: '^(1|7|42)$' } } },
        { uri: { prefix: '/api' }, headers: bucket },
        { uri: { prefix: '/api' }, queryParams: query },
        { uri: { exact: '/' }, headers: { 'x-env': { exact: 'canary' } } },
        { uri: { exact: '/' }, headers: { cookie } },
        { uri: { exact: '/' }, headers: { 'x-user-id': { regex: '^(1|7|42)$' } } },
        { uri: { exact: '/' }, headers: bucket },
        { uri: { exact: '/' }, queryParams: query },
      ],
      route: [
        { destination: { host: 'reviews', subset: 'canary', port: { number: 9080 } }, weight: 100 },
      ],
      retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,reset' },
      timeout: '10s',
      fault: { delay: { percentage: { value: 0.1 }, fixedDelay: '5s' } },
      headers: { request: { set: { 'x-served-by': 'reviews' } } },
    });
    expect(http[2]?.route).toEqual([
      { destination: { host: 'reviews', subset: 'stable', port: { number: 9080 } }, weight: 95 },
      { destination: { host: 'reviews', subset: 'canary', port: { number: 9080 } }, weight: 5 },
    ]);
  });

  it("renders each step of a userBuckets schedule as the bucket regex at the step's share, with weights kept at 100/0", async () => {
    const namespace = await freshNamespace(admin, 'istio-buckets');
    await createReviews(admin, namespace);
    const router = new IstioRouter(new ObjectStore(admin.customObjects), namespace, SUBSETS);
    const scaled: number[] = [];
    const workloads = {
      scaleForWeight: async (weight: number) => void scaled.push(weight),
    } as unknown as WorkloadManager;
    const activities = createActivities({
      routerFor: () => router,
      workloadsFor: () => workloads,
      metricsFor: () => {
        throw new Error('no metrics in this test');
      },
      scrapeLagMs: () => 0,
    });
    const spec = testSpec({
      service: 'web',
      namespace,
      router: SUBSETS,
      cohorts: [{ type: 'header', name: 'x-env', value: 'canary' }],
      schedule: {
        mode: 'userBuckets',
        userBucket: { header: 'X-User-Id', idFormat: 'hex' },
        steps: [5, 25, 50].map((weight) => ({ weight, observe: '1s' })),
      },
    });
    const ref = objectRef(KINDS.virtualService, namespace, 'reviews');
    const cohortHeaders = async () => {
      const http = ((await readObject(admin, ref)).spec as { http: HttpRoute[] }).http;
      const cohort = http.find((r) => r.name === `primary${COHORT_SUFFIX}`) as {
        match: { uri: unknown; headers: unknown }[];
      };
      const primary = http.find((r) => r.name === 'primary') as { route: { weight: number }[] };
      return {
        headers: cohort.match.filter((m) => 'prefix' in (m.uri as object)).map((m) => m.headers),
        weights: primary.route.map((d) => d.weight),
      };
    };
    await router.initialize(spec.cohorts);
    for (const percent of [5, 25, 50]) {
      expect(await activities.setCanaryWeight(spec, percent)).toEqual({
        stable: 100 - percent,
        canary: percent,
      });
      expect(await cohortHeaders()).toEqual({
        headers: [
          { 'x-env': { exact: 'canary' } },
          { 'x-user-id': { regex: bucketRegex('hex', percent) } },
        ],
        weights: [100, 0],
      });
    }
    expect(scaled).toEqual([5, 25, 50]);
    expect(await activities.setCanaryWeight(spec, 0)).toEqual({ stable: 100, canary: 0 });
    expect((await cohortHeaders()).headers).toEqual([{ 'x-env': { exact: 'canary' } }]);
  });

  it('names the route and the VirtualService when the configured route does not exist', async () => {
    const namespace = await freshNamespace(admin, 'istio-noroute');
    await createReviews(admin, namespace);
    const router = new IstioRouter(new ObjectStore(admin.customObjects), namespace, {
      ...SUBSETS,
      route: 'nope',
    });
    const error = await router.setWeights({ stable: 90, canary: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RouterConfigError);
    expect((error as Error).message).toBe(
      `${namespace}/VirtualService/reviews: has no HTTP route named "nope" (routes: admin, primary, fallback)`,
    );
    expect((error as RouterConfigError).nonRetryable).toBe(true);
  });

  it('refuses to start when the DestinationRule lacks the canary subset', async () => {
    const namespace = await freshNamespace(admin, 'istio-nosubset');
    await createReviews(admin, namespace);
    const router = new IstioRouter(new ObjectStore(admin.customObjects), namespace, {
      ...SUBSETS,
      destinations: {
        ...SUBSETS.destinations,
        canarySubset: 'v2',
      } as IstioRouterSpec['destinations'],
    });
    await expect(router.initialize([])).rejects.toThrow(
      `${namespace}/DestinationRule/reviews: has no subset "v2" (subsets: stable, canary)`,
    );
  });

  it('refuses a managed route with a third destination instead of guessing weights', async () => {
    const namespace = await freshNamespace(admin, 'istio-third');
    await createObject(admin, objectRef(KINDS.virtualService, namespace, 'ratings'), {
      spec: {
        hosts: ['ratings'],
        http: [
          {
            route: [
              { destination: { host: 'ratings-stable' }, weight: 50 },
              { destination: { host: 'mystery' }, weight: 50 },
            ],
          },
        ],
      },
    });
    const router = new IstioRouter(
      new ObjectStore(admin.customObjects),
      namespace,
      hostsSpec(namespace),
    );
    await expect(router.setWeights({ stable: 90, canary: 10 })).rejects.toThrow(
      'has destinations other than stable and canary: mystery',
    );
  });
});
