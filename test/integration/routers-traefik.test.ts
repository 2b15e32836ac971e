/**
 * TraefikRouter on a real kube-apiserver: the TrafficRouter contract, then the cohort
 * IngressRoute it owns and the relative weights of a TraefikService.
 */
import { describe, expect, it } from 'vitest';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import { describeRef, KINDS, ObjectStore, objectRef } from '../../activities/kube/objects.js';
import { RouterConfigError } from '../../activities/routers/errors.js';
import { TraefikRouter, type TraefikRouterSpec } from '../../activities/routers/traefik.js';
import type { Cohort } from '../../core/routing/config.js';
import { createApp } from '../fixtures/kube/routing.js';
import { describeKubeRouterContract } from '../contract/kube-routers.js';
import {
  createObject,
  freshNamespace,
  objectExists,
  readObject,
  testKube,
} from '../fixtures/kube/cluster.js';
import { COHORT_SUFFIX } from '../../activities/routers/shared.js';

const SPEC: TraefikRouterSpec = {
  type: 'traefik',
  traefikService: 'app-weighted',
  ingressRoute: 'app',
  stableService: 'app-stable',
  canaryService: 'app-canary',
};
const COHORTS: Cohort[] = [
  { type: 'header', name: 'X-Env', value: 'canary' },
  { type: 'cookie', name: 'tenantGray', value: '1' },
  { type: 'userBucket', header: 'x-user-id', idFormat: 'decimal', percent: 5 },
  { type: 'queryParam', name: 'ab_test', regex: 'v2|v3' },
];

function fixture(kube: KubeClients, namespace: string) {
  const service = objectRef(KINDS.traefikService, namespace, 'app-weighted');
  const route = objectRef(KINDS.ingressRoute, namespace, 'app');
  const cohort = objectRef(KINDS.ingressRoute, namespace, `app${COHORT_SUFFIX}`);
  return {
    router: new TraefikRouter(new ObjectStore(kube.customObjects), namespace, SPEC),
    weightedObject: service,
    async unrelatedConfig() {
      const [ts, ir] = [await readObject(kube, service), await readObject(kube, route)];
      const { services: _services, ...weighted } = (ts.spec as { weighted: { services: unknown } })
        .weighted;
      return {
        traefikService: { labels: ts.metadata.labels, weighted },
        ingressRoute: { metadata: ir.metadata, spec: ir.spec },
      };
    },
    cohortRouting: async () =>
      (await objectExists(kube, cohort)) ? [(await readObject(kube, cohort)).spec] : [],
    leftovers: async () => ((await objectExists(kube, cohort)) ? [describeRef(cohort)] : []),
  };
}

describeKubeRouterContract({
  name: 'TraefikRouter',
  cohorts: COHORTS,
  async setup(kube, namespace) {
    await createApp(kube, namespace);
    return fixture(kube, namespace);
  },
  missing: (kube, namespace) => ({
    router: new TraefikRouter(new ObjectStore(kube.customObjects), namespace, SPEC),
    object: `${namespace}/TraefikService/app-weighted`,
  }),
});

const kube = testKube();
describe.skipIf(!kube)('TraefikRouter', () => {
  const admin = kube as KubeClients;

  it('routes cohorts through an IngressRoute of its own that narrows each route using the TraefikService', async () => {
    const namespace = await freshNamespace(admin, 'traefik-cohort');
    await createApp(admin, namespace);
    const router = new TraefikRouter(new ObjectStore(admin.customObjects), namespace, SPEC);
    await router.initialize(COHORTS);
    const cohort = await readObject(
      admin,
      objectRef(KINDS.ingressRoute, namespace, `app${COHORT_SUFFIX}`),
    );
    expect(cohort.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'canary-engine' });
    expect(cohort.spec).toEqual({
      entryPoints: ['websecure'],
      tls: { secretName: 'app-tls' },
      routes: [
        {
          kind: 'Rule',
          match:
            '(Host(`app.example.com`) && PathPrefix(`/`)) && (Header(`x-env`, `canary`) || HeaderRegexp(`cookie`, `^(.*?;\\s*)?tenantGray=1(;.*)?$`) || HeaderRegexp(`x-user-id`, `^(?:.*(?:0[0-4])|(?:.*[^0-9])?[0-4])$`) || QueryRegexp(`ab_test`, `^(?:v2|v3)$`))',
          middlewares: [{ name: 'auth' }],
          services: [{ kind: 'Service', name: 'app-canary', port: 80 }],
        },
      ],
    });
    await router.removeCohorts();
    expect(
      await objectExists(admin, objectRef(KINDS.ingressRoute, namespace, `app${COHORT_SUFFIX}`)),
    ).toBe(false);
  });

  it('writes percentages on the two weighted services and reads relative weights as percentages', async () => {
    const namespace = await freshNamespace(admin, 'traefik-weights');
    await createApp(admin, namespace, 3);
    const router = new TraefikRouter(new ObjectStore(admin.customObjects), namespace, SPEC);
    expect(await router.getWeights()).toEqual({ stable: 100, canary: 0 });
    await router.setWeights({ stable: 60, canary: 40 });
    const services = (
      (await readObject(admin, objectRef(KINDS.traefikService, namespace, 'app-weighted')))
        .spec as { weighted: { services: unknown[] } }
    ).weighted.services;
    expect(services).toEqual([
      { name: 'app-stable', port: 80, weight: 60 },
      { name: 'app-canary', port: 80, weight: 40 },
    ]);
  });

  it('refuses an IngressRoute that does not use the TraefikService', async () => {
    const namespace = await freshNamespace(admin, 'traefik-unused');
    await createApp(admin, namespace);
    const router = new TraefikRouter(new ObjectStore(admin.customObjects), namespace, {
      ...SPEC,
      traefikService: 'app-weighted',
      ingressRoute: 'app',
      canaryService: 'app-canary',
    });
    await createObject(admin, objectRef(KINDS.ingressRoute, namespace, 'other'), {
      spec: {
        routes: [
          { kind: 'Rule', match: 'Host(`o.example.com`)', services: [{ name: 'o', port: 80 }] },
        ],
      },
    });
    const other = new TraefikRouter(new ObjectStore(admin.customObjects), namespace, {
      ...SPEC,
      ingressRoute: 'other',
    });
    const error = await other.initialize([]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RouterConfigError);
    expect((error as Error).message).toBe(
      `${namespace}/IngressRoute/other: has no route whose services include TraefikService "app-weighted"`,
    );
    await router.initialize([]);
  });
});
