/**
 * The contract every TrafficRouter passes: the Kubernetes routers against the real kube-apiserver
 * of the test run (through test/contract/kube-routers.ts), the sandbox router against a real
 * sandbox router server (test/unit/sandbox-contracts.test.ts). Each implementation supplies a
 * RouterWorld: a fresh router on an instrumented backend, plus ways to look at what the router must
 * change and must leave alone, and to play another writer.
 *
 * The backend is instrumented: every call is counted (to prove invalid weights are rejected before
 * any call), and hooks run another writer's change right before the router's next write or every
 * write (to prove optimistic concurrency loses no one's update, and gives up retryably when it
 * always loses), or right after its next write (to prove a write that does not stick fails the
 * read-back check). Cohort routes are added by initialize and removed by finalize, the only ways
 * the engine changes them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConflictRetriesExhaustedError,
  InvalidWeightsError,
  RouteVerificationError,
} from '../../activities/routers/errors.js';
import type { TrafficRouter } from '../../activities/routers/types.js';
import type { Cohort } from '../../core/routing/config.js';
import type { ReleaseSpec } from '../../core/spec.js';
import type { Weights } from '../../core/types.js';

/** Hooks around the writes a router sends to its backend, and the calls it made. */
export interface WriteProbe {
  /** Every call so far, in order (e.g. "replaceNamespacedCustomObject", "PUT http://…/control/weights"). */
  calls: string[];
  /** How many of `calls` are writes that replace the weighted object (what a conflict makes the router repeat). */
  writes(): number;
  /** Runs `hook` (once) right before the router's next write. */
  beforeNextWrite(hook: () => Promise<void>): void;
  /** Runs `hook` before every write from now on; undefined stops it. */
  beforeEachWrite(hook: (() => Promise<void>) | undefined): void;
  /** Runs `hook` (once) right after the router's next write has succeeded. */
  afterNextWrite(hook: () => Promise<void>): void;
}

/** One fresh router and its backend, for one test. */
export interface RouterWorld {
  router: TrafficRouter;
  probe: WriteProbe;
  /** How errors name the object that holds the weights ("namespace/Kind/name", or the sandbox router). */
  weightedObject: string;
  /** Another writer changes the weighted object, leaving routing alone; each call is a new change. */
  interfere(): Promise<void>;
  /** Whether the last change `interfere` made is still there. */
  interferenceKept(): Promise<boolean>;
  /** Reads the weighted object; the function returned writes it back as it was, as another writer would. */
  save(): Promise<() => Promise<void>>;
  /** Everything the router must never change, compared before and after each operation. */
  unrelatedConfig(): Promise<unknown>;
  /** Cohort routing present now (routes, rules, annotations, objects); [] when none. */
  cohortRouting(): Promise<unknown[]>;
  /** Canary-only objects and cohort routing left behind, by name; [] when clean. */
  leftovers(): Promise<string[]>;
  /** The weights the data plane applies, when it can be seen apart from getWeights (the sandbox's). */
  servedWeights?(): Promise<Weights>;
  /** Releases what the world holds (a server). */
  stop?(): Promise<void>;
}

/** A router whose object is absent (or whose backend does not answer), and what it must throw. */
export interface MissingRouter {
  router: TrafficRouter;
  /** Must appear in every error message. */
  object: string;
  error: abstract new (...args: never[]) => Error;
  nonRetryable: boolean;
}

export interface TrafficRouterContract {
  /** Shown in test names, e.g. "IstioRouter with DestinationRule subsets". */
  name: string;
  /** Cohorts this router can express (the NGINX router takes one header and one cookie). */
  cohorts: Cohort[];
  /** False skips the suite (e.g. no API server was provisioned; the harness warns). */
  available: boolean;
  /** The release a fresh world is prepared for (its service is the one the objects opt in to). */
  release: ReleaseSpec;
  /** A new router on an empty backend prepared as a release expects; `prefix` names what it creates. */
  fresh(prefix: string): Promise<RouterWorld>;
  missing(prefix: string): Promise<MissingRouter>;
}

const INVALID_WEIGHTS: [string, Weights][] = [
  ['weights that sum to more than 100', { stable: 50, canary: 60 }],
  ['weights that sum to less than 100', { stable: 40, canary: 10 }],
  ['fractional weights', { stable: 89.5, canary: 10.5 }],
  ['a negative weight', { stable: 110, canary: -10 }],
  ['a weight that is not a number', { stable: Number.NaN, canary: 100 }],
];

const failure = (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => undefined,
    (e: unknown) => e,
  );

/** Registers the contract's tests for one router. */
export function describeTrafficRouterContract(contract: TrafficRouterContract): void {
  describe.skipIf(!contract.available)(`${contract.name} (TrafficRouter contract)`, () => {
    const worlds: RouterWorld[] = [];
    afterEach(async () => {
      await Promise.all(worlds.splice(0).map((world) => world.stop?.()));
    });
    const fresh = async (prefix: string) => {
      const world = await contract.fresh(prefix);
      worlds.push(world);
      return world;
    };

    it('reads back the weights it sets, starting from all traffic on stable', async () => {
      const world = await fresh('contract-roundtrip');
      const { router } = world;
      await router.initialize([]);
      expect(await router.getWeights()).toEqual({ stable: 100, canary: 0 });
      for (const weights of [
        { stable: 90, canary: 10 },
        { stable: 33, canary: 67 },
        { stable: 0, canary: 100 },
        { stable: 100, canary: 0 },
      ]) {
        expect(await router.setWeights(weights)).toEqual(weights);
        expect(await router.getWeights()).toEqual(weights);
        if (world.servedWeights) expect(await world.servedWeights()).toEqual(weights);
      }
    });

    it('leaves every unrelated setting exactly as it was through a whole release', async () => {
      const world = await fresh('contract-preserve');
      const before = await world.unrelatedConfig();
      await world.router.initialize(contract.cohorts);
      expect(await world.unrelatedConfig()).toEqual(before);
      await world.router.setWeights({ stable: 70, canary: 30 });
      expect(await world.unrelatedConfig()).toEqual(before);
      await world.router.initialize(contract.cohorts);
      expect(await world.unrelatedConfig()).toEqual(before);
      await world.router.finalize();
      expect(await world.unrelatedConfig()).toEqual(before);
    });

    it('loses no update when another client changes the object between its read and its write', async () => {
      const world = await fresh('contract-conflict');
      await world.router.initialize([]);
      let interfered = 0;
      world.probe.beforeNextWrite(async () => {
        interfered += 1;
        await world.interfere();
      });
      const writesBefore = world.probe.writes();
      expect(await world.router.setWeights({ stable: 80, canary: 20 })).toEqual({
        stable: 80,
        canary: 20,
      });
      expect(interfered).toBe(1);
      // The first write carried a stale version and was refused; the retry built on the other write.
      expect(world.probe.writes() - writesBefore).toBeGreaterThanOrEqual(2);
      expect(await world.interferenceKept()).toBe(true);
      expect(await world.router.getWeights()).toEqual({ stable: 80, canary: 20 });
    });

    it('fails with a retryable RouteVerificationError when another writer reverts its write before the read-back', async () => {
      const world = await fresh('contract-readback');
      await world.router.initialize([]);
      await world.router.setWeights({ stable: 90, canary: 10 });
      const restore = await world.save();
      let reverted = 0;
      world.probe.afterNextWrite(async () => {
        reverted += 1;
        await restore();
      });
      const error = await failure(world.router.setWeights({ stable: 70, canary: 30 }));
      expect(reverted).toBe(1);
      expect(error).toBeInstanceOf(RouteVerificationError);
      expect((error as RouteVerificationError).nonRetryable).toBe(false);
      expect((error as Error).message).toContain(world.router.target);
      expect(await world.router.getWeights()).toEqual({ stable: 90, canary: 10 });
    });

    it('gives up with a retryable ConflictRetriesExhaustedError when another writer wins every attempt', async () => {
      const world = await fresh('contract-conflicts');
      await world.router.initialize([]);
      let interfered = 0;
      world.probe.beforeEachWrite(async () => {
        interfered += 1;
        await world.interfere();
      });
      const writesBefore = world.probe.writes();
      const error = await failure(world.router.setWeights({ stable: 80, canary: 20 }));
      world.probe.beforeEachWrite(undefined);
      expect(error).toBeInstanceOf(ConflictRetriesExhaustedError);
      expect((error as ConflictRetriesExhaustedError).nonRetryable).toBe(false);
      expect((error as Error).message).toContain(world.weightedObject);
      const writes = world.probe.writes() - writesBefore;
      expect(writes).toBeGreaterThanOrEqual(2);
      expect(interfered).toBe(writes);
      expect(await world.router.getWeights()).toEqual({ stable: 100, canary: 0 });
    });

    it('fails with an error naming its object when that object is missing', async () => {
      const missing = await contract.missing('contract-missing');
      const { router } = missing;
      for (const call of [
        () => router.getWeights(),
        () => router.setWeights({ stable: 90, canary: 10 }),
        () => router.initialize([]),
      ]) {
        const error = await failure(call());
        expect(error).toBeInstanceOf(missing.error);
        expect((error as { nonRetryable?: boolean }).nonRetryable).toBe(missing.nonRetryable);
        expect((error as Error).message).toContain(missing.object);
      }
    });

    it('finds nothing in the way of the release a world was prepared for, and writes nothing', async () => {
      const world = await fresh('contract-preflight');
      const before = await world.unrelatedConfig();
      const writesBefore = world.probe.writes();
      const callsBefore = world.probe.calls.length;
      expect(world.router.preflight).toBeDefined();
      expect(await world.router.preflight?.(contract.release)).toEqual([]);
      expect(world.probe.writes()).toBe(writesBefore);
      const calls = world.probe.calls.slice(callsBefore);
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.filter((c) => /^(create|delete|patch|replace|PUT|POST|DELETE)/.test(c))).toEqual(
        [],
      );
      expect(await world.unrelatedConfig()).toEqual(before);
      expect(await world.leftovers()).toEqual([]);
    });

    it('reports its missing object (or silent backend) as a pre-flight problem naming it, without throwing', async () => {
      const missing = await contract.missing('contract-preflight-missing');
      const problems = (await missing.router.preflight?.(contract.release)) ?? [];
      expect(problems.map((p) => `${p.object}: ${p.message}`).join('\n')).toContain(missing.object);
    });

    it('adds cohort routing at initialize, removes it at finalize, and adds it again without duplicates', async () => {
      const world = await fresh('contract-cohorts');
      const { router } = world;
      await router.initialize(contract.cohorts);
      const withCohorts = await world.cohortRouting();
      expect(withCohorts.length).toBeGreaterThan(0);
      expect(await router.getWeights()).toEqual({ stable: 100, canary: 0 });
      await router.finalize();
      expect(await world.cohortRouting()).toEqual([]);
      await router.initialize(contract.cohorts);
      await router.initialize(contract.cohorts);
      expect(await world.cohortRouting()).toEqual(withCohorts);
      await router.setWeights({ stable: 60, canary: 40 });
      expect(await world.cohortRouting()).toEqual(withCohorts);
    });

    it('initialize with no cohorts removes the cohort routing of an earlier attempt', async () => {
      const world = await fresh('contract-recohort');
      await world.router.initialize(contract.cohorts);
      expect((await world.cohortRouting()).length).toBeGreaterThan(0);
      await world.router.initialize([]);
      expect(await world.cohortRouting()).toEqual([]);
      expect(await world.router.getWeights()).toEqual({ stable: 100, canary: 0 });
    });

    it('finalize puts all traffic on stable and leaves no canary objects or cohort routes, twice over', async () => {
      const world = await fresh('contract-finalize');
      await world.router.initialize(contract.cohorts);
      await world.router.setWeights({ stable: 50, canary: 50 });
      expect(await world.router.finalize()).toEqual({ stable: 100, canary: 0 });
      expect(await world.router.getWeights()).toEqual({ stable: 100, canary: 0 });
      expect(await world.cohortRouting()).toEqual([]);
      expect(await world.leftovers()).toEqual([]);
      expect(await world.router.finalize()).toEqual({ stable: 100, canary: 0 });
      expect(await world.leftovers()).toEqual([]);
    });

    it.each(INVALID_WEIGHTS)(
      'rejects %s before any call to its backend',
      async (_label, weights) => {
        const world = await fresh('contract-invalid');
        const callsBefore = world.probe.calls.length;
        const error = await failure(world.router.setWeights(weights));
        expect(error).toBeInstanceOf(InvalidWeightsError);
        expect((error as InvalidWeightsError).nonRetryable).toBe(true);
        expect((error as Error).message).toContain(world.router.target);
        expect(world.probe.calls.length).toBe(callsBefore);
      },
    );
  });
}
