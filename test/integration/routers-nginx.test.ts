/**
 * NginxRouter on a real kube-apiserver: the TrafficRouter contract, then the canary Ingress's
 * lifecycle: created at initialize mirroring the stable Ingress, annotation values for weights and
 * cohorts, the stable Ingress never written, and nothing left after finalize.
 */
import { describe, expect, it } from 'vitest';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import { describeRef, KINDS, ObjectStore, objectRef } from '../../activities/kube/objects.js';
import { RouterConfigError } from '../../activities/routers/errors.js';
import { NginxRouter, type NginxRouterSpec } from '../../activities/routers/nginx.js';
import type { Cohort } from '../../core/routing/config.js';
import { createWeb } from '../fixtures/kube/routing.js';
import { describeKubeRouterContract, instrument } from '../contract/kube-routers.js';
import {
  createObject,
  freshNamespace,
  objectExists,
  readObject,
  testKube,
} from '../fixtures/kube/cluster.js';

const SPEC: NginxRouterSpec = {
  type: 'nginx',
  ingress: 'web',
  stableService: 'web-stable',
  canaryService: 'web-canary',
};
const COHORTS: Cohort[] = [
  { type: 'header', name: 'x-env', value: 'canary' },
  { type: 'cookie', name: 'web_canary', value: 'always' },
];
const A = 'nginx.ingress.kubernetes.io/';

function fixture(kube: KubeClients, namespace: string) {
  const stable = objectRef(KINDS.ingress, namespace, 'web');
  const canary = objectRef(KINDS.ingress, namespace, 'web-canary');
  const cohortAnnotations = async () => {
    if (!(await objectExists(kube, canary))) return [];
    const notes = (await readObject(kube, canary)).metadata.annotations ?? {};
    return Object.entries(notes)
      .filter(([key]) => key.startsWith(`${A}canary-by-`))
      .sort();
  };
  return {
    router: new NginxRouter(new ObjectStore(kube.customObjects), namespace, SPEC),
    weightedObject: canary,
    // The whole stable Ingress, resourceVersion included: proof that it is never written.
    unrelatedConfig: async () => {
      const ingress = await readObject(kube, stable);
      return { metadata: ingress.metadata, spec: ingress.spec };
    },
    cohortRouting: cohortAnnotations,
    leftovers: async () => ((await objectExists(kube, canary)) ? [describeRef(canary)] : []),
  };
}

describeKubeRouterContract({
  name: 'NginxRouter',
  cohorts: COHORTS,
  async setup(kube, namespace) {
    await createWeb(kube, namespace);
    return fixture(kube, namespace);
  },
  missing: (kube, namespace) => ({
    router: new NginxRouter(new ObjectStore(kube.customObjects), namespace, SPEC),
    object: `${namespace}/Ingress/web`,
  }),
});

const kube = testKube();
describe.skipIf(!kube)('NginxRouter', () => {
  const admin = kube as KubeClients;

  it('creates the canary Ingress at initialize: stable hosts and paths to the canary Service, canary annotations, inherited settings', async () => {
    const namespace = await freshNamespace(admin, 'nginx-lifecycle');
    await createWeb(admin, namespace);
    const router = new NginxRouter(new ObjectStore(admin.customObjects), namespace, SPEC);
    const canaryRef = objectRef(KINDS.ingress, namespace, 'web-canary');
    expect(await objectExists(admin, canaryRef)).toBe(false);

    await router.initialize(COHORTS);
    const canary = await readObject(admin, canaryRef);
    const stable = await readObject(admin, objectRef(KINDS.ingress, namespace, 'web'));
    expect(canary.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'canary-engine',
      'canary-engine.io/stable-ingress': 'web',
    });
    expect(canary.metadata.annotations).toEqual({
      [`${A}proxy-body-size`]: '8m',
      [`${A}ssl-redirect`]: 'true',
      [`${A}canary`]: 'true',
      [`${A}canary-weight`]: '0',
      [`${A}canary-by-header`]: 'x-env',
      [`${A}canary-by-header-value`]: 'canary',
      [`${A}canary-by-cookie`]: 'web_canary',
    });
    expect(canary.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: 'web',
        uid: stable.metadata.uid,
      },
    ]);
    const backend = { service: { name: 'web-canary', port: { number: 80 } } };
    expect(canary.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }],
      rules: [
        { host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } },
        { host: 'www.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } },
      ],
    });

    expect(await router.setWeights({ stable: 75, canary: 25 })).toEqual({ stable: 75, canary: 25 });
    expect((await readObject(admin, canaryRef)).metadata.annotations?.[`${A}canary-weight`]).toBe(
      '25',
    );

    await router.applyCohorts([{ type: 'headerRegex', name: 'x-user-id', regex: '^(1|7|42)$' }]);
    const notes = (await readObject(admin, canaryRef)).metadata.annotations ?? {};
    expect(notes[`${A}canary-by-header`]).toBe('x-user-id');
    expect(notes[`${A}canary-by-header-pattern`]).toBe('^(1|7|42)$');
    expect(notes[`${A}canary-by-header-value`]).toBeUndefined();
    expect(notes[`${A}canary-by-cookie`]).toBeUndefined();
    expect(notes[`${A}canary-weight`]).toBe('25');

    await router.applyCohorts([
      { type: 'userBucket', header: 'X-User-Id', idFormat: 'hex', percent: 5 },
      { type: 'cookie', name: 'web_canary', value: 'always' },
    ]);
    const bucket = (await readObject(admin, canaryRef)).metadata.annotations ?? {};
    expect(bucket[`${A}canary-by-header`]).toBe('x-user-id');
    expect(bucket[`${A}canary-by-header-pattern`]).toBe(
      '^(?:.*(?:0[0-9a-cA-C])|(?:.*[^0-9a-fA-F])?[0-9a-cA-C])$',
    );
    expect(bucket[`${A}canary-by-cookie`]).toBe('web_canary');

    expect(await router.finalize()).toEqual({ stable: 100, canary: 0 });
    expect(await objectExists(admin, canaryRef)).toBe(false);
    expect(await router.getWeights()).toEqual({ stable: 100, canary: 0 });
    expect(
      (await readObject(admin, objectRef(KINDS.ingress, namespace, 'web'))).metadata
        .resourceVersion,
    ).toBe(stable.metadata.resourceVersion);
  });

  it('rejects cohorts NGINX cannot express before any API call, saying why', async () => {
    const namespace = await freshNamespace(admin, 'nginx-cohorts');
    const probe = instrument(admin);
    const router = new NginxRouter(new ObjectStore(probe.kube.customObjects), namespace, SPEC);
    const twoHeaders: Cohort[] = [
      { type: 'header', name: 'x-env', value: 'canary' },
      { type: 'headerRegex', name: 'x-user', regex: '^1$' },
    ];
    await expect(router.initialize(twoHeaders)).rejects.toThrow(
      `${namespace}/Ingress/web-canary: cohorts cannot be expressed with NGINX canary annotations: cohorts[1]: the nginx router supports one header cohort (canary-by-header); cohorts[0] is already one`,
    );
    await expect(
      router.applyCohorts([{ type: 'cookie', name: 'tenantGray', value: '1' }]),
    ).rejects.toThrow(
      'cohorts[0].value: the nginx router\'s canary-by-cookie routes to the canary only when the cookie\'s value is "always", not "1"',
    );
    await expect(
      router.initialize([{ type: 'queryParam', name: 'ab_test', value: 'v2' }]),
    ).rejects.toThrow('cohorts[0]: the nginx router cannot route by query parameter');
    await expect(
      router.initialize([
        { type: 'header', name: 'x-env', value: 'canary' },
        { type: 'userBucket', header: 'x-user-id', idFormat: 'decimal', percent: 5 },
      ]),
    ).rejects.toThrow('cohorts[1]: the nginx router supports one header cohort');
    expect(probe.calls).toEqual([]);
  });

  it('changes weights and cohorts with one read, one write and one read-back of the canary Ingress each', async () => {
    const namespace = await freshNamespace(admin, 'nginx-calls');
    await createWeb(admin, namespace);
    const probe = instrument(admin);
    const router = new NginxRouter(new ObjectStore(probe.kube.customObjects), namespace, SPEC);
    await router.initialize([]);
    const step = async (change: () => Promise<unknown>) => {
      const before = probe.calls.length;
      await change();
      return probe.calls.slice(before);
    };
    const oneWrite = [
      'getNamespacedCustomObject',
      'replaceNamespacedCustomObject',
      'getNamespacedCustomObject',
    ];
    expect(await step(() => router.setWeights({ stable: 75, canary: 25 }))).toEqual(oneWrite);
    expect(await step(() => router.applyCohorts(COHORTS))).toEqual(oneWrite);
    expect(await step(() => router.removeCohorts())).toEqual(oneWrite);
  });

  it('refuses to take over an Ingress with the canary name that it did not create', async () => {
    const namespace = await freshNamespace(admin, 'nginx-foreign');
    await createWeb(admin, namespace);
    await createObject(admin, objectRef(KINDS.ingress, namespace, 'web-canary'), {
      spec: {
        rules: [
          {
            host: 'x.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'x', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
    const router = new NginxRouter(new ObjectStore(admin.customObjects), namespace, SPEC);
    const error = await router.initialize([]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RouterConfigError);
    expect((error as Error).message).toContain(
      `${namespace}/Ingress/web-canary: exists but was not created by canary-engine`,
    );
  });

  it('names the stable Ingress when none of its paths points at the stable Service', async () => {
    const namespace = await freshNamespace(admin, 'nginx-nopath');
    await createWeb(admin, namespace);
    const router = new NginxRouter(new ObjectStore(admin.customObjects), namespace, {
      ...SPEC,
      stableService: 'nope',
    });
    await expect(router.initialize([])).rejects.toThrow(
      `${namespace}/Ingress/web: has no path whose backend is Service "nope"`,
    );
  });
});
