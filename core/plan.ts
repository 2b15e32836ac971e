/**
 * Turns a validated spec into the numbers the workflow runs on: the list of steps with their
 * weights and windows in milliseconds, and every other duration the engine needs. Pure
 * arithmetic, kept out of the workflow so it is tested alone. Each duration field of the spec is
 * turned into milliseconds here (activities that receive the spec use the field helpers below),
 * never with a silent fallback.
 */
import { durationMs } from './duration.js';
import type { ReleaseSpec } from './spec.js';
import type { KubernetesWorkloads } from './workloads/config.js';

export interface PlannedStep {
  /** 1-based step number, as people count. */
  index: number;
  weight: number;
  observeMs: number;
  approval: boolean;
}

export interface ReleasePlan {
  steps: PlannedStep[];
  bucketMs: number;
  /** Upper bound on analysis looks: one per step plus every allowed extension. */
  plannedLooks: number;
  maxExtensions: number;
  /** Fixed extension length, or undefined to extend by the current step's window. */
  extendByMs: number | undefined;
  approvalTimeoutMs: number;
  /** How long scaling and promotion may wait for workloads to become ready (0: nothing to wait for). */
  readyTimeoutMs: number;
  /** How long the release bakes after promotion (policies.promotion.bake); null: no bake. */
  bakeMs: number | null;
}

/** The weight schedule of a spec as explicit steps. `stepWeight`/`maxWeight` expand to 10, 20, … max. */
export function planSteps(spec: Pick<ReleaseSpec, 'schedule'>): PlannedStep[] {
  const schedule = spec.schedule;
  if ('steps' in schedule) {
    return schedule.steps.map((s, i) => ({
      index: i + 1,
      weight: s.weight,
      observeMs: durationMs(s.observe, `schedule.steps[${i}].observe`),
      approval: s.approval,
    }));
  }
  const observeMs = durationMs(schedule.observe, 'schedule.observe');
  const steps: PlannedStep[] = [];
  for (let w = schedule.stepWeight; w <= schedule.maxWeight; w += schedule.stepWeight) {
    steps.push({ index: steps.length + 1, weight: w, observeMs, approval: schedule.approval });
  }
  const last = steps[steps.length - 1];
  if (last && last.weight < schedule.maxWeight) {
    steps.push({
      index: steps.length + 1,
      weight: schedule.maxWeight,
      observeMs,
      approval: schedule.approval,
    });
  }
  return steps;
}

/** The length of one metrics bucket (`analysis.bucket`). */
export function analysisBucketMs(spec: Pick<ReleaseSpec, 'analysis'>): number {
  return durationMs(spec.analysis.bucket, 'analysis.bucket');
}

/** How long a workload may take to become ready: `workloads.readyTimeout`, or 0 for workloads without one. */
export function readyTimeoutMs(workloads: ReleaseSpec['workloads']): number {
  return workloads.type === 'kubernetes'
    ? durationMs(workloads.readyTimeout, 'workloads.readyTimeout')
    : 0;
}

export function planRelease(
  spec: Pick<ReleaseSpec, 'schedule' | 'analysis' | 'policies' | 'workloads'>,
): ReleasePlan {
  const steps = planSteps(spec);
  const inconclusive = spec.policies.inconclusive;
  return {
    steps,
    bucketMs: analysisBucketMs(spec),
    plannedLooks: steps.length + inconclusive.maxExtensions,
    maxExtensions: inconclusive.maxExtensions,
    extendByMs:
      inconclusive.extendBy === undefined
        ? undefined
        : durationMs(inconclusive.extendBy, 'policies.inconclusive.extendBy'),
    approvalTimeoutMs: durationMs(spec.policies.approval.timeout, 'policies.approval.timeout'),
    readyTimeoutMs: readyTimeoutMs(spec.workloads),
    bakeMs:
      spec.policies.promotion.bake === undefined
        ? null
        : durationMs(spec.policies.promotion.bake, 'policies.promotion.bake'),
  };
}

/**
 * Replicas for the canary at a weight: its share of the stable's replicas (the stable Deployment's,
 * or its HorizontalPodAutoscaler's desired count), rounded up, never below `floor`. So at 100% the
 * canary is as large as stable, and no hop ever puts more traffic per pod on it than on stable.
 * 0 at weight 0 (no traffic, nothing to carry).
 */
export function canaryReplicasForWeight(
  weight: number,
  stableReplicas: number,
  floor: number,
): number {
  if (weight <= 0) return 0;
  return Math.max(floor, Math.ceil((Math.max(0, stableReplicas) * Math.min(weight, 100)) / 100));
}

/**
 * The fewest canary replicas at any weight above 0, from the spec: `minReplicas`, and for older
 * specs without scaleWithWeight also `canaryReplicas` (their canary ran at that fixed size, so it
 * stays a floor; with scaleWithWeight it was a cap, which the stable's size now replaces).
 */
export function canaryReplicaFloor(
  workloads: Pick<KubernetesWorkloads, 'minReplicas' | 'canaryReplicas' | 'scaleWithWeight'>,
): number {
  return workloads.scaleWithWeight
    ? workloads.minReplicas
    : Math.max(workloads.minReplicas, workloads.canaryReplicas);
}
