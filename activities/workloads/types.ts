/**
 * WorkloadManager: the Deployments (or sandbox versions) behind the two arms of a release.
 */

import type { OptInProblem } from '../../core/preflight.js';

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
   * The existing workloads this manager would change that do not opt in to `service`
   * (activities/kube/opt-in.ts), checked before a release's first change. Absent outside Kubernetes.
   */
  objectsNotOptedIn?(service: string): Promise<OptInProblem[]>;
}
