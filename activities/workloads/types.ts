/**
 * WorkloadManager: the Deployments (or sandbox versions) behind the two arms of a release.
 */

import type { PreflightProblem } from '../../core/preflight.js';
import type { ReleaseSpec } from '../../core/spec.js';

/** Called with progress while a long operation (waiting for a rollout) runs; activities heartbeat it. */
export type ProgressReporter = (details: Record<string, unknown>) => void;

export interface WorkloadManager {
  /** Scales the canary up for the release (idempotent). */
  prepareCanary(progress: ProgressReporter): Promise<void>;
  /** Adjusts the canary to a traffic weight (proportional scaling, when configured). */
  scaleForWeight(weight: number, progress: ProgressReporter): Promise<void>;
  /**
   * Makes the stable workload run the canary's version and waits until it is ready. Throws a
   * PromotionError when the stable workload does not become ready before the deadline.
   */
  promoteStable(progress: ProgressReporter): Promise<void>;
  /** Scales the canary down to zero. Idempotent. */
  scaleDownCanary(progress: ProgressReporter): Promise<void>;
  /**
   * The stable workload as it is now (e.g. the Deployment's pod template), as plain JSON. Taken
   * before promotion and kept in workflow history, so an abort during promotion can restore it.
   */
  snapshotStable(): Promise<unknown>;
  /** Puts the stable workload back as a snapshot recorded it, and waits until it is ready. */
  restoreStable(snapshot: unknown, progress: ProgressReporter): Promise<void>;
  /**
   * Everything about the workloads that stands in the way of `release`, checked before its first
   * change and without changing anything (the workloads exist, opt in, carry the release's
   * versions; the worker may scale and promote them). Throws only errors a retry may fix.
   */
  preflight?(release: ReleaseSpec): Promise<PreflightProblem[]>;
}
