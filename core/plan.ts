/**
 * Turns a validated spec into the numbers the workflow runs on: the list of steps with their
 * weights and windows in milliseconds. Pure arithmetic, kept out of the workflow so it is tested alone.
 */
import { parseDuration } from './duration.js';
import type { ReleaseSpec } from './spec.js';

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
}

function ms(text: string): number {
  const value = parseDuration(text);
  if (value === undefined) throw new Error(`invalid duration "${text}" in a validated spec`);
  return value;
}

/** The weight schedule of a spec as explicit steps. `stepWeight`/`maxWeight` expand to 10, 20, … max. */
export function planSteps(spec: Pick<ReleaseSpec, 'schedule'>): PlannedStep[] {
  const schedule = spec.schedule;
  if ('steps' in schedule) {
    return schedule.steps.map((s, i) => ({ index: i + 1, weight: s.weight, observeMs: ms(s.observe), approval: s.approval }));
  }
  const steps: PlannedStep[] = [];
  for (let w = schedule.stepWeight; w <= schedule.maxWeight; w += schedule.stepWeight) {
    steps.push({ index: steps.length + 1, weight: w, observeMs: ms(schedule.observe), approval: schedule.approval });
  }
  const last = steps[steps.length - 1];
  if (last && last.weight < schedule.maxWeight) {
    steps.push({ index: steps.length + 1, weight: schedule.maxWeight, observeMs: ms(schedule.observe), approval: schedule.approval });
  }
  return steps;
}

export function planRelease(spec: ReleaseSpec): ReleasePlan {
  const steps = planSteps(spec);
  const inconclusive = spec.policies.inconclusive;
  return {
    steps,
    bucketMs: ms(spec.analysis.bucket),
    plannedLooks: steps.length + inconclusive.maxExtensions,
    maxExtensions: inconclusive.maxExtensions,
    extendByMs: inconclusive.extendBy === undefined ? undefined : ms(inconclusive.extendBy),
    approvalTimeoutMs: ms(spec.policies.approval.timeout),
  };
}

/** Replicas for the canary at a weight: proportional, rounded up, never below the minimum. */
export function canaryReplicasForWeight(weight: number, maxReplicas: number, minReplicas: number): number {
  if (weight <= 0) return 0;
  return Math.min(maxReplicas, Math.max(minReplicas, Math.ceil((maxReplicas * weight) / 100)));
}
