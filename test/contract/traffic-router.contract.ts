/**
 * The contract every TrafficRouter passes, run against the real kube-apiserver of the test run.
 * Each router's test file calls `describeTrafficRouterContract` with a fixture that creates the
 * objects a release expects (in a fresh namespace) and says where to look for what the router
 * must change and must leave alone.
 *
 * The router is built on instrumented clients: every API call is counted (to prove invalid
 * weights are rejected before any call), and hooks run another writer's change right before the
 * router's next write or every write (to prove optimistic concurrency loses no one's update, and
 * gives up retryably when it always loses), or right after its next write (to prove a write that
 * does not stick fails the read-back check).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { Cohort } from '../../core/routing/config.js';
import type { Weights } from '../../core/types.js';
import type { KubeClients } from '../../activities/kube/client.js';
import { describeRef, type ObjectRef } from '../../activities/kube/objects.js';
import {
  ConflictRetriesExhaustedError, InvalidWeightsError, ObjectNotFoundError, RouteVerificationError,
} from '../../activities/routers/errors.js';
import type { TrafficRouter } from '../../activities/routers/types.js';
import { freshNamespace, mergePatchObject, readObject, testKube } from '../fixtures/kube/cluster.js';

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
export interface Instrumented {
  kube: KubeClients;
  calls: string[];
  /** Runs `hook` (once) right before the next replace/patch/create the router sends. */
  beforeNextWrite(hook: () => Promise<void>): void;
  /** Runs `hook` before every replace/patch/create the router sends from now on; undefined stops it. */
  beforeEachWrite(hook: (() => Promise<void>) | undefined): void;
  /** Runs `hook` (once) right after the next replace/patch/create the router sends has succeeded. */
  afterNextWrite(hook: () => Promise<void>): void;
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
        const result = await ((value as (...a: unknown[]) => unknown).apply(target, args) as Promise<unknown>);
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
    beforeNextWrite: (hook) => (before = hook),
    beforeEachWrite: (hook) => (beforeEach = hook),
    afterNextWrite: (hook) => (after = hook),
  };
}

const INVALID_WEIGHTS: [string, Weights][] = [
  ['weights that sum to more than 100', { stable: 50, canary: 60 }],
  ['weights that sum to less than 100', { stable: 40, canary: 10 }],
  ['fractional weights', { stable: 89.5, canary: 10.5 }],
  ['a negative weight', { stable: 110, canary: -10 }],
  ['a weight that is not a number', { stable: Number.NaN, canary: 100 }],
];

/** Registers the contract's tests for one router. Skips (with the harness's warning) when no API server was provisioned. */
export function describeTrafficRouterContract(contract: RouterContract): void {
  const kube = testKube();
  describe.skipIf(!kube)(`${contract.name} (TrafficRouter contract)`, () => {
    let admin: KubeClients;
    beforeAll(() => {
      admin = kube as KubeClients;
    });

    async function fresh(prefix: string) {
      const namespace = await freshNamespace(admin, prefix);
      const probe = instrument(admin);
      const fixture = await contract.setup(probe.kube, namespace);
      return { namespace, probe, fixture };
    }

    it('reads back the weights it sets, starting from all traffic on stable', async () => {
      const { fixture: { router } } = await fresh('contract-roundtrip');
      await router.initialize([]);
      expect(await router.getWeights()).toEqual({ stable: 100, canary: 0 });
      for (const weights of [{ stable: 90, canary: 10 }, { stable: 33, canary: 67 }, { stable: 0, canary: 100 }, { stable: 100, canary: 0 }]) {
        expect(await router.setWeights(weights)).toEqual(weights);
        expect(await router.getWeights()).toEqual(weights);
      }
    });

    it('leaves every unrelated setting exactly as it was through a whole release', async () => {
      const { fixture } = await fresh('contract-preserve');
      const before = await fixture.unrelatedConfig();
      await fixture.router.initialize(contract.cohorts);
      expect(await fixture.unrelatedConfig()).toEqual(before);
      await fixture.router.setWeights({ stable: 70, canary: 30 });
      expect(await fixture.unrelatedConfig()).toEqual(before);
      await fixture.router.removeCohorts();
      await fixture.router.applyCohorts(contract.cohorts);
      expect(await fixture.unrelatedConfig()).toEqual(before);
      await fixture.router.finalize();
      expect(await fixture.unrelatedConfig()).toEqual(before);
    });

    it('loses no update when another client changes the object between its read and its write', async () => {
      const { fixture, probe } = await fresh('contract-conflict');
      await fixture.router.initialize([]);
      let interfered = 0;
      probe.beforeNextWrite(async () => {
        interfered += 1;
        await mergePatchObject(admin, fixture.weightedObject, { metadata: { annotations: { 'contract.test/other-writer': 'was-here' } } });
      });
      const writesBefore = probe.calls.filter((c) => c.startsWith('replace')).length;
      expect(await fixture.router.setWeights({ stable: 80, canary: 20 })).toEqual({ stable: 80, canary: 20 });
      expect(interfered).toBe(1);
      // The first write carried a stale resourceVersion and was refused; the retry built on the other write.
      expect(probe.calls.filter((c) => c.startsWith('replace')).length - writesBefore).toBeGreaterThanOrEqual(2);
      const after = await readObject(admin, fixture.weightedObject);
      expect(after.metadata.annotations?.['contract.test/other-writer']).toBe('was-here');
      expect(await fixture.router.getWeights()).toEqual({ stable: 80, canary: 20 });
    });

    it('fails with a retryable RouteVerificationError when another writer reverts its write before the read-back', async () => {
      const { fixture, probe } = await fresh('contract-readback');
      await fixture.router.initialize([]);
      await fixture.router.setWeights({ stable: 90, canary: 10 });
      const before = await readObject(admin, fixture.weightedObject);
      let reverted = 0;
      probe.afterNextWrite(async () => {
        reverted += 1;
        await mergePatchObject(admin, fixture.weightedObject, { metadata: { annotations: before.metadata.annotations ?? {} }, spec: before.spec });
      });
      const error = await fixture.router.setWeights({ stable: 70, canary: 30 }).then(() => undefined, (e: unknown) => e);
      expect(reverted).toBe(1);
      expect(error).toBeInstanceOf(RouteVerificationError);
      expect((error as RouteVerificationError).nonRetryable).toBe(false);
      expect((error as Error).message).toContain(fixture.router.target);
      expect(await fixture.router.getWeights()).toEqual({ stable: 90, canary: 10 });
    });

    it('gives up with a retryable ConflictRetriesExhaustedError when another writer wins every attempt', async () => {
      const { fixture, probe } = await fresh('contract-conflicts');
      await fixture.router.initialize([]);
      let interfered = 0;
      probe.beforeEachWrite(async () => {
        interfered += 1;
        await mergePatchObject(admin, fixture.weightedObject, { metadata: { annotations: { 'contract.test/other-writer': String(interfered) } } });
      });
      const writesBefore = probe.calls.filter((c) => c.startsWith('replace')).length;
      const error = await fixture.router.setWeights({ stable: 80, canary: 20 }).then(() => undefined, (e: unknown) => e);
      probe.beforeEachWrite(undefined);
      expect(error).toBeInstanceOf(ConflictRetriesExhaustedError);
      expect((error as ConflictRetriesExhaustedError).nonRetryable).toBe(false);
      expect((error as Error).message).toContain(describeRef(fixture.weightedObject));
      const writes = probe.calls.filter((c) => c.startsWith('replace')).length - writesBefore;
      expect(writes).toBeGreaterThanOrEqual(2);
      expect(interfered).toBe(writes);
      expect(await fixture.router.getWeights()).toEqual({ stable: 100, canary: 0 });
    });

    it('fails with a non-retryable error naming namespace/Kind/name when its object is missing', async () => {
      const namespace = await freshNamespace(admin, 'contract-missing');
      const { router, object } = contract.missing(admin, namespace);
      for (const call of [() => router.getWeights(), () => router.setWeights({ stable: 90, canary: 10 }), () => router.initialize([])]) {
        const error = await call().then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(ObjectNotFoundError);
        expect((error as ObjectNotFoundError).nonRetryable).toBe(true);
        expect((error as Error).message).toContain(object);
      }
    });

    it('adds cohort routing at initialize, removes it, and adds it again without duplicates', async () => {
      const { fixture } = await fresh('contract-cohorts');
      await fixture.router.initialize(contract.cohorts);
      const withCohorts = await fixture.cohortRouting();
      expect(withCohorts.length).toBeGreaterThan(0);
      expect(await fixture.router.getWeights()).toEqual({ stable: 100, canary: 0 });
      await fixture.router.removeCohorts();
      expect(await fixture.cohortRouting()).toEqual([]);
      await fixture.router.applyCohorts(contract.cohorts);
      await fixture.router.applyCohorts(contract.cohorts);
      await fixture.router.initialize(contract.cohorts);
      expect(await fixture.cohortRouting()).toEqual(withCohorts);
      await fixture.router.setWeights({ stable: 60, canary: 40 });
      expect(await fixture.cohortRouting()).toEqual(withCohorts);
    });

    it('finalize puts all traffic on stable and leaves no canary objects or cohort routes, twice over', async () => {
      const { fixture } = await fresh('contract-finalize');
      await fixture.router.initialize(contract.cohorts);
      await fixture.router.setWeights({ stable: 50, canary: 50 });
      expect(await fixture.router.finalize()).toEqual({ stable: 100, canary: 0 });
      expect(await fixture.router.getWeights()).toEqual({ stable: 100, canary: 0 });
      expect(await fixture.cohortRouting()).toEqual([]);
      expect(await fixture.leftovers()).toEqual([]);
      expect(await fixture.router.finalize()).toEqual({ stable: 100, canary: 0 });
      expect(await fixture.leftovers()).toEqual([]);
    });

    it.each(INVALID_WEIGHTS)('rejects %s before any API call', async (_label, weights) => {
      const { fixture, probe } = await fresh('contract-invalid');
      const callsBefore = probe.calls.length;
      const error = await fixture.router.setWeights(weights).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidWeightsError);
      expect((error as InvalidWeightsError).nonRetryable).toBe(true);
      expect((error as Error).message).toContain(fixture.router.target);
      expect(probe.calls.length).toBe(callsBefore);
    });
  });
}
