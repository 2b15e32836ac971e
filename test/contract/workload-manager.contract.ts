/**
 * The contract every WorkloadManager passes: KubernetesWorkloadManager against the real
 * kube-apiserver of the test run (test/integration/workloads-kubernetes.test.ts, with a played
 * Deployment controller), SandboxWorkloads against a real sandbox router server
 * (test/unit/sandbox-contracts.test.ts). Each supplies a WorkloadWorld: a fresh manager, and ways
 * to see what the stable arm runs and whether the canary arm is up, in its own terms (an image, a
 * demo version).
 *
 * The cases follow what the release activities ask of workloads: prepare the canary, scale it for
 * each weight, snapshot the stable arm and restore it, promote, scale the canary down; every step
 * may be retried, so doing it twice changes nothing; every error names the object concerned.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkloadManager } from '../../activities/workloads/types.js';
import type { ReleaseSpec } from '../../core/spec.js';

/** One fresh manager and its backend, for one test. */
export interface WorkloadWorld {
  manager: WorkloadManager;
  /** What the stable arm runs before the release, and what the canary arm brings. */
  versions: { stable: string; canary: string };
  /** What the stable arm runs now, in the terms of `versions`. */
  stableRuns(): Promise<string>;
  /** Whether the canary arm is up, and its capacity (replicas) when the manager scales it. */
  canary(): Promise<{ up: boolean; capacity?: number }>;
  /** How errors name the stable workload. */
  stableObject: string;
  /** Releases what the world holds (a played controller, a server). */
  stop?(): Promise<void>;
}

/** A manager whose workloads are absent (or whose backend does not answer), and what it must throw. */
export interface MissingWorkloads {
  manager: WorkloadManager;
  /** Each error message names one of these (the canary or the stable workload). */
  objects: string[];
  error: abstract new (...args: never[]) => Error;
  nonRetryable: boolean;
}

export interface WorkloadManagerContract {
  /** Shown in test names, e.g. "KubernetesWorkloadManager scaling with weight". */
  name: string;
  /** False skips the suite (e.g. no API server was provisioned; the harness warns). */
  available: boolean;
  /** The release a fresh world is prepared for: its service, and the versions its arms carry. */
  release: ReleaseSpec;
  fresh(prefix: string): Promise<WorkloadWorld>;
  missing(prefix: string): Promise<MissingWorkloads>;
}

const failure = (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => undefined,
    (e: unknown) => e,
  );

/** Collects progress reports, as an activity's heartbeat would. */
function progress() {
  const reports: Record<string, unknown>[] = [];
  return { reports, report: (details: Record<string, unknown>) => void reports.push(details) };
}

/** Registers the contract's tests for one WorkloadManager. */
export function describeWorkloadManagerContract(contract: WorkloadManagerContract): void {
  describe.skipIf(!contract.available)(`${contract.name} (WorkloadManager contract)`, () => {
    const worlds: WorkloadWorld[] = [];
    afterEach(async () => {
      await Promise.all(worlds.splice(0).map((world) => world.stop?.()));
    });
    const fresh = async (prefix: string) => {
      const world = await contract.fresh(prefix);
      worlds.push(world);
      return world;
    };

    it('finds nothing in the way of the release its world was prepared for, and changes nothing', async () => {
      const world = await fresh('wl-contract-preflight');
      expect(world.manager.preflight).toBeDefined();
      expect(await world.manager.preflight?.(contract.release)).toEqual([]);
      expect(await world.canary()).toMatchObject({ up: false });
      expect(await world.stableRuns()).toBe(world.versions.stable);
    });

    it('reports missing workloads (or a silent backend) as pre-flight problems naming them, without throwing', async () => {
      const missing = await contract.missing('wl-contract-preflight-missing');
      const problems = (await missing.manager.preflight?.(contract.release)) ?? [];
      const text = problems.map((p) => `${p.object}: ${p.message}`).join('\n');
      expect(missing.objects.some((object) => text.includes(object))).toBe(true);
    });

    it('prepares the canary, reporting progress, and preparing it again changes nothing', async () => {
      const world = await fresh('wl-contract-prepare');
      const p = progress();
      expect(await world.canary()).toMatchObject({ up: false });
      await world.manager.prepareCanary(p.report);
      const prepared = await world.canary();
      expect(prepared.up).toBe(true);
      expect(p.reports.length).toBeGreaterThan(0);
      await world.manager.prepareCanary(p.report);
      expect(await world.canary()).toEqual(prepared);
      expect(await world.stableRuns()).toBe(world.versions.stable);
    });

    it('scales the canary for each weight, never down as the weight grows, and leaves the stable arm alone', async () => {
      const world = await fresh('wl-contract-scale');
      const p = progress();
      await world.manager.prepareCanary(p.report);
      let capacity = (await world.canary()).capacity ?? 0;
      for (const weight of [10, 50, 100]) {
        await world.manager.scaleForWeight(weight, p.report);
        const canary = await world.canary();
        expect(canary.up).toBe(true);
        expect(canary.capacity ?? 0).toBeGreaterThanOrEqual(capacity);
        capacity = canary.capacity ?? 0;
      }
      expect(await world.stableRuns()).toBe(world.versions.stable);
    });

    it("promotes the canary's version to the stable arm, reporting progress, and promoting again changes nothing", async () => {
      const world = await fresh('wl-contract-promote');
      const p = progress();
      await world.manager.prepareCanary(p.report);
      const before = p.reports.length;
      await world.manager.promoteStable(p.report);
      expect(await world.stableRuns()).toBe(world.versions.canary);
      expect(p.reports.length).toBeGreaterThan(before);
      await world.manager.promoteStable(p.report);
      expect(await world.stableRuns()).toBe(world.versions.canary);
    });

    it('snapshots the stable arm as plain JSON that puts it back after promotion', async () => {
      const world = await fresh('wl-contract-restore');
      const p = progress();
      await world.manager.prepareCanary(p.report);
      const snapshot = await world.manager.snapshotStable();
      // the snapshot travels through workflow history as JSON
      const stored: unknown = JSON.parse(JSON.stringify(snapshot));
      expect(stored).toEqual(snapshot);
      await world.manager.promoteStable(p.report);
      expect(await world.stableRuns()).toBe(world.versions.canary);
      await world.manager.restoreStable(stored, p.report);
      expect(await world.stableRuns()).toBe(world.versions.stable);
      await world.manager.restoreStable(stored, p.report);
      expect(await world.stableRuns()).toBe(world.versions.stable);
    });

    it('scales the canary down, and scaling it down again changes nothing', async () => {
      const world = await fresh('wl-contract-down');
      const p = progress();
      await world.manager.prepareCanary(p.report);
      await world.manager.scaleDownCanary(p.report);
      expect(await world.canary()).toMatchObject({ up: false });
      await world.manager.scaleDownCanary(p.report);
      expect(await world.canary()).toMatchObject({ up: false });
      expect(await world.stableRuns()).toBe(world.versions.stable);
    });

    it('refuses a snapshot that is not its own without retries, naming the stable workload', async () => {
      const world = await fresh('wl-contract-badsnapshot');
      const error = await failure(world.manager.restoreStable({ nonsense: true }, () => undefined));
      expect(error).toBeInstanceOf(Error);
      expect((error as { nonRetryable?: boolean }).nonRetryable).toBe(true);
      expect((error as Error).message).toContain(world.stableObject);
      expect(await world.stableRuns()).toBe(world.versions.stable);
    });

    it('fails with an error naming the object when its workloads are missing', async () => {
      const missing = await contract.missing('wl-contract-missing');
      const { manager } = missing;
      for (const call of [
        () => manager.prepareCanary(() => undefined),
        () => manager.snapshotStable(),
        () => manager.promoteStable(() => undefined),
        () => manager.scaleDownCanary(() => undefined),
      ]) {
        const error = await failure(call());
        expect(error).toBeInstanceOf(missing.error);
        expect((error as { nonRetryable?: boolean }).nonRetryable).toBe(missing.nonRetryable);
        const message = (error as Error).message;
        expect({
          message,
          namesObject: missing.objects.some((object) => message.includes(object)),
        }).toEqual({ message, namesObject: true });
      }
    });
  });
}
