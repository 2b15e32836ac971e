/**
 * The TrafficRouter contract (traffic-router.contract.ts) for the Kubernetes routers, on the real
 * kube-apiserver of the test run. Each router's test file calls `describeKubeRouterContract` with a
 * fixture that creates the objects a release expects (in a fresh namespace) and says where to look
 * for what the router must change and must leave alone; this file plays the other writer with raw
 * merge patches and counts the router's API calls by wrapping its CustomObjectsApi.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import { describeRef, type ObjectRef } from '../../activities/kube/objects.js';
import { ObjectNotFoundError } from '../../activities/routers/errors.js';
import type { TrafficRouter } from '../../activities/routers/types.js';
import type { Cohort } from '../../core/routing/config.js';
import {
  freshNamespace,
  mergePatchObject,
  readObject,
  testKube,
} from '../fixtures/kube/cluster.js';
import { testSpec } from '../harness/release-spec.js';
import {
  describeTrafficRouterContract,
  type RouterWorld,
  type WriteProbe,
} from './traffic-router.contract.js';

export interface RouterFixture {
  /** The router under test, built on the clients handed to `setup`. */
  router: TrafficRouter;
  /** The object setWeights writes (where another writer will interfere). */
  weightedObject: ObjectRef;
  /** Everything the router must never change, compared before and after each operation. */
  unrelatedConfig(): Promise<unknown>;
  /** Cohort routing present in the cluster now (routes, rules, annotations, objects); [] when none. */
  cohortRouting(): Promise<unknown[]>;
  /** Canary-only objects and cohort routing left behind, as "namespace/Kind/name"; [] when clean. */
  leftovers(): Promise<string[]>;
}

export interface RouterContract {
  /** Shown in test names, e.g. "IstioRouter with DestinationRule subsets". */
  name: string;
  /** Cohorts this router can express (the NGINX router takes one header and one cookie). */
  cohorts: Cohort[];
  /** Creates the objects a release expects in `namespace` and a router on `kube`. */
  setup(kube: KubeClients, namespace: string): Promise<RouterFixture>;
  /** A router whose object does not exist in `namespace`, and how errors must name that object. */
  missing(kube: KubeClients, namespace: string): { router: TrafficRouter; object: string };
}

/** Counts API calls and runs hooks around the router's writes, by wrapping the clients' CustomObjectsApi. */
export interface Instrumented extends WriteProbe {
  kube: KubeClients;
}

export function instrument(kube: KubeClients): Instrumented {
  const calls: string[] = [];
  let before: (() => Promise<void>) | undefined;
  let beforeEach: (() => Promise<void>) | undefined;
  let after: (() => Promise<void>) | undefined;
  const customObjects = new Proxy(kube.customObjects, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return async (...args: unknown[]) => {
        calls.push(prop);
        const isWrite = /^(replace|patch|create)/.test(prop);
        if (isWrite && before) {
          const hook = before;
          before = undefined;
          await hook();
        }
        if (isWrite && beforeEach) await beforeEach();
        const result = await ((value as (...a: unknown[]) => unknown).apply(
          target,
          args,
        ) as Promise<unknown>);
        if (isWrite && after) {
          const hook = after;
          after = undefined;
          await hook();
        }
        return result;
      };
    },
  }) as CustomObjectsApi;
  return {
    kube: { ...kube, customObjects },
    calls,
    writes: () => calls.filter((c) => c.startsWith('replace')).length,
    beforeNextWrite: (hook) => (before = hook),
    beforeEachWrite: (hook) => (beforeEach = hook),
    afterNextWrite: (hook) => (after = hook),
  };
}

const OTHER_WRITER = 'contract.test/other-writer';

/** Another writer's view of the weighted object: an annotation of its own, and a whole-object restore. */
function otherWriter(
  admin: KubeClients,
  ref: ObjectRef,
): Pick<RouterWorld, 'interfere' | 'interferenceKept' | 'save'> {
  let mark = 0;
  return {
    // a new value each time, so every interference is a real change (a new resourceVersion)
    interfere: async () =>
      void (await mergePatchObject(admin, ref, {
        metadata: { annotations: { [OTHER_WRITER]: `was-here-${++mark}` } },
      })),
    interferenceKept: async () =>
      (await readObject(admin, ref)).metadata.annotations?.[OTHER_WRITER] === `was-here-${mark}`,
    save: async () => {
      const before = await readObject(admin, ref);
      return async () =>
        void (await mergePatchObject(admin, ref, {
          metadata: { annotations: before.metadata.annotations ?? {} },
          spec: before.spec,
        }));
    },
  };
}

/** Registers the TrafficRouter contract for one Kubernetes router. Skips (with the harness's warning) when no API server was provisioned. */
export function describeKubeRouterContract(contract: RouterContract): void {
  const kube = testKube();
  describeTrafficRouterContract({
    name: contract.name,
    cohorts: contract.cohorts,
    available: kube !== null,
    // the fixtures' objects opt in to releases of "web" (test/fixtures/kube/routing.ts)
    release: testSpec({ service: 'web', cohorts: contract.cohorts }),
    async fresh(prefix) {
      const admin = kube as KubeClients;
      const namespace = await freshNamespace(admin, prefix);
      const probe = instrument(admin);
      const fixture = await contract.setup(probe.kube, namespace);
      return {
        ...fixture,
        probe,
        weightedObject: describeRef(fixture.weightedObject),
        ...otherWriter(admin, fixture.weightedObject),
      };
    },
    async missing(prefix) {
      const admin = kube as KubeClients;
      const namespace = await freshNamespace(admin, prefix);
      return {
        ...contract.missing(admin, namespace),
        error: ObjectNotFoundError,
        nonRetryable: true,
      };
    },
  });
}
