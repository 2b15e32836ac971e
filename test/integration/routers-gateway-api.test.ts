/**
 * GatewayApiRouter on a real kube-apiserver: the TrafficRouter contract, then the exact cohort
 * rule and the relative-weight reading.
 */
import { describe, expect, it } from 'vitest';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import { describeRef, KINDS, ObjectStore, objectRef } from '../../activities/kube/objects.js';
import {
  COHORT_RULE_ANNOTATION,
  GatewayApiRouter,
  type GatewayApiRouterSpec,
} from '../../activities/routers/gateway-api.js';
import type { Cohort } from '../../core/routing/config.js';
import { createShop } from '../fixtures/kube/routing.js';
import { describeKubeRouterContract } from '../contract/kube-routers.js';
import {
  freshNamespace,
  mergePatchObject,
  readObject,
  testKube,
} from '../fixtures/kube/cluster.js';
import { COHORT_SUFFIX } from '../../activities/routers/shared.js';

const SPEC: GatewayApiRouterSpec = {
  type: 'gateway-api',
  httpRoute: 'shop',
  stableService: 'shop-stable',
  canaryService: 'shop-canary',
};
const COHORTS: Cohort[] = [
  { type: 'header', name: 'x-env', value: 'canary' },
  { type: 'cookie', name: 'tenantGray', value: '1' },
  { type: 'userBucket', header: 'x-user-id', idFormat: 'decimal', percent: 5 },
  { type: 'queryParam', name: 'ab_test', regex: 'v2|v3' },
];

interface Rule {
  name?: string;
  backendRefs?: unknown;
  [key: string]: unknown;
}

function fixture(kube: KubeClients, namespace: string) {
  const ref = objectRef(KINDS.httpRoute, namespace, 'shop');
  const rules = async () => ((await readObject(kube, ref)).spec as { rules: Rule[] }).rules;
  const isCohort = (r: Rule) => r.name?.endsWith(COHORT_SUFFIX) ?? false;
  return {
    router: new GatewayApiRouter(new ObjectStore(kube.customObjects), namespace, SPEC),
    weightedObject: ref,
    async unrelatedConfig() {
      const route = await readObject(kube, ref);
      const spec = route.spec as { rules: Rule[] };
      const rest = spec.rules
        .filter((r) => !isCohort(r))
        .map((r) => (r.name === 'main' ? { ...r, backendRefs: undefined } : r));
      const { [COHORT_RULE_ANNOTATION]: _ours, ...annotations } = route.metadata.annotations ?? {};
      return { labels: route.metadata.labels, annotations, spec: { ...spec, rules: rest } };
    },
    cohortRouting: async () => (await rules()).filter(isCohort),
    leftovers: async () => {
      const route = await readObject(kube, ref);
      const left = (route.spec as { rules: Rule[] }).rules
        .filter(isCohort)
        .map((r) => `${describeRef(ref)}#${r.name}`);
      if (route.metadata.annotations?.[COHORT_RULE_ANNOTATION])
        left.push(`${describeRef(ref)}@${COHORT_RULE_ANNOTATION}`);
      return left;
    },
  };
}

describeKubeRouterContract({
  name: 'GatewayApiRouter',
  cohorts: COHORTS,
  async setup(kube, namespace) {
    await createShop(kube, namespace);
    return fixture(kube, namespace);
  },
  missing: (kube, namespace) => ({
    router: new GatewayApiRouter(new ObjectStore(kube.customObjects), namespace, SPEC),
    object: `${namespace}/HTTPRoute/shop`,
  }),
});

const kube = testKube();
describe.skipIf(!kube)('GatewayApiRouter', () => {
  const admin = kube as KubeClients;

  it("adds a cohort rule before the weighted rule with the rule's matches plus each cohort header, its filters and timeouts", async () => {
    const namespace = await freshNamespace(admin, 'gw-cohort');
    await createShop(admin, namespace);
    const router = new GatewayApiRouter(new ObjectStore(admin.customObjects), namespace, SPEC);
    await router.initialize(COHORTS);
    await router.setWeights({ stable: 75, canary: 25 });
    const rules = (
      (await readObject(admin, objectRef(KINDS.httpRoute, namespace, 'shop'))).spec as {
        rules: Rule[];
      }
    ).rules;
    expect(rules.map((r) => r.name)).toEqual(['static', `main${COHORT_SUFFIX}`, 'main']);
    const region = { type: 'Exact', name: 'x-region', value: 'eu' };
    expect(rules[1]).toEqual({
      name: `main${COHORT_SUFFIX}`,
      matches: [
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: [region, { type: 'Exact', name: 'x-env', value: 'canary' }],
        },
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: [
            region,
            { type: 'RegularExpression', name: 'cookie', value: '^(.*?;\\s*)?tenantGray=1(;.*)?$' },
          ],
        },
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: [
            region,
            {
              type: 'RegularExpression',
              name: 'x-user-id',
              value: '^(?:.*(?:0[0-4])|(?:.*[^0-9])?[0-4])$',
            },
          ],
        },
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: [region],
          queryParams: [{ type: 'RegularExpression', name: 'ab_test', value: '^(?:v2|v3)$' }],
        },
      ],
      filters: [
        {
          type: 'RequestHeaderModifier',
          requestHeaderModifier: { set: [{ name: 'x-served-by', value: 'shop' }] },
        },
      ],
      backendRefs: [{ name: 'shop-canary', port: 8080, weight: 1 }],
      timeouts: { request: '10s' },
    });
    expect(rules[2]?.backendRefs).toEqual([
      { name: 'shop-stable', port: 8080, weight: 75 },
      { name: 'shop-canary', port: 8080, weight: 25 },
    ]);
  });

  it('reads relative weights as percentages (an omitted weight counts as 1)', async () => {
    const namespace = await freshNamespace(admin, 'gw-relative');
    await createShop(admin, namespace);
    const router = new GatewayApiRouter(new ObjectStore(admin.customObjects), namespace, SPEC);
    expect(await router.getWeights()).toEqual({ stable: 100, canary: 0 });
    const ref = objectRef(KINDS.httpRoute, namespace, 'shop');
    const spec = (await readObject(admin, ref)).spec as { rules: Rule[] };
    const main = spec.rules[1] as Rule;
    main.backendRefs = [
      { name: 'shop-stable', port: 8080, weight: 3 },
      { name: 'shop-canary', port: 8080 },
    ];
    await mergePatchObject(admin, ref, { spec });
    expect(await router.getWeights()).toEqual({ stable: 75, canary: 25 });
  });

  it('recognises its cohort rule by the recorded matches when the cluster dropped the rule name', async () => {
    const namespace = await freshNamespace(admin, 'gw-noname');
    await createShop(admin, namespace);
    const router = new GatewayApiRouter(new ObjectStore(admin.customObjects), namespace, SPEC);
    await router.applyCohorts(COHORTS);
    const ref = objectRef(KINDS.httpRoute, namespace, 'shop');
    const spec = (await readObject(admin, ref)).spec as { rules: Rule[] };
    delete (spec.rules[1] as Rule).name; // what an older CRD without rule names would store
    await mergePatchObject(admin, ref, { spec });
    await router.removeCohorts();
    const after = ((await readObject(admin, ref)).spec as { rules: Rule[] }).rules;
    expect(after.map((r) => r.name)).toEqual(['static', 'main']);
  });
});
