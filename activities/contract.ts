/**
 * The activities the release workflow calls, as the workflow sees them. Implemented by
 * createActivities() in release-activities.ts; tests pass typed fakes of the same shape.
 */
import type { BakeFinding } from '../core/bake.js';
import type { Decision } from '../core/judge/decision.js';
import type { ReleaseSpec, SubmittedSpec } from '../core/spec.js';
import type { Weights } from '../core/types.js';

export interface AnalyseInput {
  spec: ReleaseSpec;
  step: number;
  look: number;
  plannedLooks: number;
  /** Epoch ms: analysis covers every bucket from here (the canary's first traffic) … */
  fromMs: number;
  /** … to here (the end of the current window). */
  toMs: number;
}

export interface AnalyseResult {
  decision: Decision;
  /** Aligned buckets with data in both arms that the judge used. */
  bucketsUsed: number;
  /** Buckets dropped because an arm had no data in them. */
  missingBuckets: number;
  windowStart: string;
  windowEnd: string;
}

/** One look at the promoted version during the bake (policies.promotion.bake). */
export interface BakeCheckInput {
  spec: ReleaseSpec;
  /** 1-based look, of `looks`. */
  look: number;
  looks: number;
  /** Epoch ms: the look covers buckets up to here … */
  toMs: number;
  /** … over this long (core/bake.ts bakeSchedule). */
  lookMs: number;
  /**
   * Epoch ms when promotion began (all traffic went to the canary): the previous version's
   * buckets for the comparison end here. Absent in runs recorded before the comparison existed.
   */
  previousUntilMs?: number;
}

export interface BakeCheckResult extends BakeFinding {
  look: number;
  looks: number;
  windowStart: string;
  windowEnd: string;
}

export interface PromoteResult {
  /** The stable workload before promotion, so a rollback during promotion can restore it. */
  snapshot: unknown;
}

export interface ReleaseActivities {
  /**
   * The stable version of a spec that does not name it: the stable Deployment's pod-template label
   * `version`. Fails (a pre-flight refusal, nothing changed) when the label is missing.
   */
  resolveStableVersion(spec: SubmittedSpec): Promise<string>;
  /** Routing objects and cohort routes in place, canary scaled up, all traffic still on stable. */
  prepareRelease(spec: ReleaseSpec): Promise<Weights>;
  /** Canary scaled for the weight, route written, read back and verified. */
  setCanaryWeight(spec: ReleaseSpec, canaryWeight: number): Promise<Weights>;
  /** Pulls the buckets for both arms and runs the judge. */
  analyseCanary(input: AnalyseInput): Promise<AnalyseResult>;
  /** Judges the promoted version's recent buckets by the absolute guards (a bake look). */
  checkBake(input: BakeCheckInput): Promise<BakeCheckResult>;
  /** Captures the stable workload as it is, for restoreStable. */
  snapshotStable(spec: ReleaseSpec): Promise<PromoteResult>;
  /** Makes the stable workload run the canary's version and waits until it is ready. */
  promoteStable(spec: ReleaseSpec): Promise<void>;
  /** Puts the stable workload back as it was before promotion. */
  restoreStable(spec: ReleaseSpec, snapshot: unknown): Promise<void>;
  /** All traffic on stable, cohort routes and canary objects removed, canary scaled to zero, verified. */
  finishRelease(spec: ReleaseSpec, outcome: 'promoted' | 'rolledBack'): Promise<Weights>;
}
