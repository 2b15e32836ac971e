/**
 * How the release workflow calls its activities: one set of proxies per purpose, each with the time
 * limits, retries and cancellation it needs, and how an activity's failure reads. Workflow code.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
} from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities/contract.js';
import { explainFailure, failureDetails } from '../core/errors.js';
import type { ReleasePlan } from '../core/plan.js';
import { PREFLIGHT_REFUSALS } from '../core/preflight.js';

/** How a rollback retries (tests shorten it through the workflow input). */
export interface RollbackTiming {
  /** The wait after the first failed round, doubling per failed round … */
  firstBackoffMs: number;
  /** … up to this. */
  maxBackoffMs: number;
  /** Each round's fast retries (the restoring proxy): attempts, and the longest wait between two. */
  fastAttempts: number;
  fastMaxIntervalMs: number;
}

export const ROLLBACK_TIMING: RollbackTiming = {
  firstBackoffMs: 30_000,
  maxBackoffMs: 300_000,
  fastAttempts: 8,
  fastMaxIntervalMs: 30_000,
};

/**
 * Every activity heartbeats each second while it runs (activities/heartbeat.ts): past this
 * silence its worker is taken for lost and the attempt is retried on another one.
 */
const HEARTBEAT_TIMEOUT = '15s';

/**
 * Activity proxies for one release. Writes (weights, scaling, promotion) wait for a cancelled
 * activity to really end before the workflow goes on: a write cut loose by an abort must not land
 * after the rollback. Their time limits follow the spec's `readyTimeout`, since scaling and
 * promotion wait for Deployments. Changing these options changes no workflow command.
 */
export function activitiesFor(plan: ReleasePlan, timing: RollbackTiming = ROLLBACK_TIMING) {
  const writeTimeoutMs = plan.readyTimeoutMs + 60_000;
  return {
    routing: proxyActivities<ReleaseActivities>({
      startToCloseTimeout: writeTimeoutMs,
      heartbeatTimeout: HEARTBEAT_TIMEOUT,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: {
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '20s',
        maximumAttempts: 5,
      },
    }),
    /** Analyses and bake looks; heartbeats carry an abort's cancellation to the activity. */
    analysis: proxyActivities<ReleaseActivities>({
      startToCloseTimeout: '2m',
      heartbeatTimeout: '10s',
      retry: {
        initialInterval: '2s',
        backoffCoefficient: 2,
        maximumInterval: '30s',
        maximumAttempts: 4,
      },
    }),
    promoting: proxyActivities<ReleaseActivities>({
      startToCloseTimeout: writeTimeoutMs,
      heartbeatTimeout: HEARTBEAT_TIMEOUT,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: { maximumAttempts: 2 },
    }),
    /**
     * Rollback must complete even when the router errs: a round of fast retries here, then rounds
     * with longer waits in the workflow (ending.ts retryRollback) until it succeeds.
     */
    restoring: proxyActivities<ReleaseActivities>({
      startToCloseTimeout: writeTimeoutMs,
      heartbeatTimeout: HEARTBEAT_TIMEOUT,
      retry: {
        initialInterval: Math.min(1000, timing.fastMaxIntervalMs),
        backoffCoefficient: 2,
        maximumInterval: timing.fastMaxIntervalMs,
        maximumAttempts: timing.fastAttempts,
      },
    }),
  };
}

/** What went wrong, in the words of the activity's own error when there is one. */
export function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * What went wrong and what it means, for a release's outcome: the activity's own words plus the
 * meaning of its error kind (core/errors.ts), which activities/errors.ts carries in the failure.
 */
export function explainActivityFailure(error: unknown): string {
  const details =
    error instanceof ActivityFailure && error.cause instanceof ApplicationFailure
      ? failureDetails(error.cause.details)
      : undefined;
  return explainFailure(failureMessage(error), details);
}

/** Whether the activity failed with an error that retrying cannot fix. */
export function isNonRetryable(error: unknown): boolean {
  return (
    error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    error.cause.nonRetryable === true
  );
}

/** Whether the activity was refused by the pre-flight (core/preflight.ts): nothing was changed. */
export function isPreflightRefusal(error: unknown): boolean {
  return (
    error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    PREFLIGHT_REFUSALS.includes(error.cause.type ?? '')
  );
}
