/**
 * SandboxWorkloads: the WorkloadManager of the local sandbox. The demo versions all run all the
 * time, so "workloads" are the router's choice of which version the stable and the canary arm
 * serve: preparing the canary picks its version, promotion makes the stable arm serve it, scaling
 * down clears it. Every change is written optimistically and read back.
 */
import { z } from 'zod';
import type { ProgressReporter, WorkloadManager } from '../activities/workloads/types.js';
import type { PreflightProblem } from '../core/preflight.js';
import { ControlClient, type ControlClientOptions } from './control-client.js';
import { SandboxWorkloadError } from './errors.js';
import type { RouterState } from './router-state.js';

/** The two versions of the release (from the release spec). */
export interface SandboxRelease {
  stableVersion: string;
  canaryVersion: string;
}

/** What snapshotStable records: the version the stable arm served. */
export interface SandboxStableSnapshot {
  stableVersion: string;
}

const snapshotSchema = z.object({ stableVersion: z.string().min(1) });

/** A canary is idle when it gets no traffic: weight 0 and no cohorts. */
const idle = (state: RouterState): boolean =>
  state.weights.canary === 0 && state.cohorts.length === 0;

/** The sandbox's WorkloadManager for one release, over the control API at one URL. */
export class SandboxWorkloads implements WorkloadManager {
  private readonly client: ControlClient;

  constructor(
    url: string,
    private readonly release: SandboxRelease,
    options: ControlClientOptions = {},
  ) {
    this.client = new ControlClient(url, options);
  }

  /**
   * Makes the canary arm serve the release's canary version. The sandbox's stable is whatever the
   * last release promoted; when no release is in progress (the canary gets no traffic), it is set
   * back to the release's stableVersion, so the example releases can run in any order.
   */
  async prepareCanary(progress: ProgressReporter): Promise<void> {
    const { stableVersion, canaryVersion } = this.release;
    const before = await this.client.state();
    if (
      !idle(before) &&
      (before.canaryVersion !== canaryVersion || before.stableVersion !== stableVersion)
    ) {
      throw this.inUse(before);
    }
    if (before.stableVersion !== stableVersion) {
      progress({
        sandbox: `switching the stable arm from ${before.stableVersion} to the release's stable version ${stableVersion}`,
      });
      await this.client.update((state) => {
        if (state.stableVersion === stableVersion) return null;
        if (!idle(state)) throw this.inUse(state);
        return { method: 'PUT', path: '/stable', body: { version: stableVersion } };
      });
    }
    await this.client.update((state) =>
      state.canaryVersion === canaryVersion
        ? null
        : { method: 'PUT', path: '/canary', body: { version: canaryVersion } },
    );
    const after = await this.client.state();
    this.verify(after, 'canaryVersion', canaryVersion);
    this.verify(after, 'stableVersion', stableVersion);
    progress({ sandbox: `canary arm serves ${canaryVersion}, stable arm serves ${stableVersion}` });
  }

  /**
   * The control API answers, the sandbox runs both of the release's versions, and no other
   * release holds its canary arm.
   */
  async preflight(): Promise<PreflightProblem[]> {
    const state = await this.client.stateForPreflight();
    if (!('generation' in state)) return [state];
    const { stableVersion, canaryVersion } = this.release;
    const problems: PreflightProblem[] = [stableVersion, canaryVersion]
      .filter((version) => !state.versions.includes(version))
      .map((version) => ({
        object: this.client.target,
        message: `runs no demo version "${version}" (versions: ${state.versions.join(', ')})`,
      }));
    if (
      !idle(state) &&
      (state.canaryVersion !== canaryVersion || state.stableVersion !== stableVersion)
    )
      problems.push({ object: this.client.target, message: this.inUse(state).message });
    return problems;
  }

  /**
   * Nothing to scale: every demo version is always running and serves any share of the sandbox's
   * small load, so a weight needs no capacity change. Reports progress so callers see the step.
   */
  async scaleForWeight(weight: number, progress: ProgressReporter): Promise<void> {
    progress({
      sandbox: `canary ${this.release.canaryVersion} at ${weight}%: demo versions always run, nothing to scale`,
    });
  }

  /** The stable arm starts serving the canary's version (POST /control/promote), read back. */
  async promoteStable(progress: ProgressReporter): Promise<void> {
    const { canaryVersion } = this.release;
    await this.client.update((state) => {
      if (state.stableVersion === canaryVersion) return null;
      if (state.canaryVersion !== canaryVersion) {
        throw new SandboxWorkloadError(
          `${this.client.target}: cannot promote ${canaryVersion}: the canary arm serves ${state.canaryVersion ?? 'nothing'} (was prepareCanary run for this release?)`,
          { kind: 'conflict', nonRetryable: true, object: this.client.target },
        );
      }
      return { method: 'POST', path: '/promote' };
    });
    this.verify(await this.client.state(), 'stableVersion', canaryVersion);
    progress({ sandbox: `stable arm now serves ${canaryVersion}` });
  }

  /**
   * Clears the canary version once it gets no traffic. Refuses (non-retryable) while the canary
   * still has a weight or cohorts: routing must be finalized first, as a Deployment is scaled down
   * only after traffic has left it. Idempotent; leaves another release's canary alone.
   */
  async scaleDownCanary(progress: ProgressReporter): Promise<void> {
    const { canaryVersion } = this.release;
    await this.client.update((state) => {
      if (state.canaryVersion !== canaryVersion) return null;
      if (!idle(state)) {
        throw new SandboxWorkloadError(
          `${this.client.target}: refusing to remove canary ${canaryVersion} while it receives ${state.weights.canary}% of traffic and ${state.cohorts.length} cohort(s); finalize the routing first`,
          { kind: 'conflict', nonRetryable: true, object: this.client.target },
        );
      }
      return { method: 'PUT', path: '/canary', body: { version: null } };
    });
    const after = await this.client.state();
    if (after.canaryVersion === canaryVersion) this.verify(after, 'canaryVersion', null);
    progress({ sandbox: `canary ${canaryVersion} removed from the router` });
  }

  async snapshotStable(): Promise<SandboxStableSnapshot> {
    return { stableVersion: (await this.client.state()).stableVersion };
  }

  /** Sets the stable arm back to the version a snapshot recorded, read back. */
  async restoreStable(snapshot: unknown, progress: ProgressReporter): Promise<void> {
    const parsed = snapshotSchema.safeParse(snapshot);
    if (!parsed.success) {
      throw new SandboxWorkloadError(
        `${this.client.target}: cannot restore the stable arm from ${JSON.stringify(snapshot)}: not a sandbox snapshot ({ stableVersion })`,
        { kind: 'invalid-input', nonRetryable: true, object: this.client.target },
      );
    }
    const { stableVersion } = parsed.data;
    await this.client.update((state) =>
      state.stableVersion === stableVersion
        ? null
        : { method: 'PUT', path: '/stable', body: { version: stableVersion } },
    );
    this.verify(await this.client.state(), 'stableVersion', stableVersion);
    progress({ sandbox: `stable arm restored to ${stableVersion}` });
  }

  private inUse(state: RouterState): SandboxWorkloadError {
    return new SandboxWorkloadError(
      `${this.client.target}: another release is in progress: canary ${state.canaryVersion} (stable ${state.stableVersion}) receives ${state.weights.canary}% of traffic and ${state.cohorts.length} cohort(s), ` +
        `so this release (${this.release.stableVersion} → ${this.release.canaryVersion}) cannot start`,
      { kind: 'conflict', nonRetryable: true, object: this.client.target },
    );
  }

  /** Read-back check; a mismatch means another writer got in between, so a retry may help. */
  private verify(
    state: RouterState,
    field: 'stableVersion' | 'canaryVersion',
    expected: string | null,
  ): void {
    if (state[field] !== expected) {
      throw new SandboxWorkloadError(
        `${this.client.target} does not show what was written: expected ${field} ${expected}, read back ${state[field]}`,
        { kind: 'verification', nonRetryable: false, object: this.client.target },
      );
    }
  }
}
