/**
 * WorkloadManager: the Deployments (or sandbox versions) behind the two arms of a release.
 */

import type { OptInProblem } from '../../core/preflight.js';

/**
 * Something that would stop the release, found before any change: the object concerned
 * ("namespace/Kind/name") and what is wrong, naming the spec field when one is at fault. The
 * shape of core/preflight.ts's pre-flight problems.
 */
export interface PreflightProblem {
  object: string;
  message: string;
}

/** Called with progress while a long operation (waiting for a rollout) runs; activities heartbeat it. */
export type ProgressReporter = (details: Record<string, unknown>) => void;

export interface WorkloadManager {
  /** Scales the canary up for the release (idempotent). */
  prepareCanary(progress: ProgressReporter): Promise<void>;
  /** Sizes the canary for a traffic weight and waits until it is ready to carry it. */
  scaleForWeight(weight: number, progress: ProgressReporter): Promise<void>;
  /**
   * Makes the stable workload run the canary's version and waits until it is ready. Throws a
   * PromotionError when the stable workload does not become ready before the deadline.
   */
  promoteStable(progress: ProgressReporter): Promise<void>;
  /** At the release's end: the canary scaled to zero (or deleted, when the engine deployed it and the spec says so). Idempotent. */
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
  /**
   * Every problem that would stop this release's workloads, found without changing anything (the
   * pre-flight reports them all at once). Absent when a manager has nothing to check.
   */
  preflight?(): Promise<PreflightProblem[]>;
  /**
   * The version the stable workload runs now (for a spec without stableVersion): on Kubernetes
   * the stable Deployment's pod-template label `version`. Absent where it cannot be read.
   */
  currentStableVersion?(): Promise<string>;
}
