/**
 * How a release ends: promotion (all traffic to the canary, stable updated to its version, routing
 * reset, then the bake when the spec asks for one) or rollback (all traffic back on stable, and the
 * pre-promotion stable restored when promotion had begun). A promotion that fails ends Failed with
 * the last known weights; a rollback whose fast retries fail keeps retrying with backoff
 * (RollbackRetrying) until it succeeds or a person abandons it. Workflow code, called by release.ts.
 */
import { CancellationScope, condition, isCancellation, patched } from '@temporalio/workflow';
import { formatDuration } from '../core/duration.js';
import { explainActivityFailure } from './activity-proxies.js';
import { bake } from './bake.js';
import {
  gate,
  interruptible,
  RollbackRequested,
  waitWhilePaused,
  type RunContext,
} from './waits.js';

/** Promotes the canary after the last step or at a promote request; an abort meanwhile rolls back. */
export async function promote(run: RunContext): Promise<void> {
  const { state, spec, acts } = run;
  await waitWhilePaused(state);
  if (spec.policies.promotion.requireApproval && !state.promoteRequest)
    await gate(run, 'promotion', undefined, 'approval before promotion');
  state.closeGate();
  // the previous version's last traffic: a bake compares the new version with it up to here
  const promotedAtMs = Date.now();
  state.setPhase(
    'Promoting',
    state.promoteRequest
      ? `promotion requested by ${state.promoteRequest.actor}`
      : 'every step passed',
  );
  state.setWeights(
    await interruptible(state, () => acts.routing.setCanaryWeight(spec, 100)),
    'all traffic on the canary while stable is updated',
  );
  state.stableSnapshot = (await acts.routing.snapshotStable(spec)).snapshot;
  try {
    await interruptible(state, () => acts.promoting.promoteStable(spec));
  } catch (error) {
    if (error instanceof RollbackRequested || isCancellation(error)) throw error;
    state.finish(
      'Failed',
      `promotion failed: the stable workload did not become healthy on ${spec.canaryVersion} (${explainActivityFailure(error)}); traffic stays 100% on the canary, which passed analysis`,
    );
    return;
  }
  const snapshot = state.stableSnapshot;
  state.stableSnapshot = null;
  state.finalizing = true;
  try {
    // like a rollback, the reset runs to its end when the workflow is cancelled meanwhile: stable
    // already runs the canary's version, so a cancel can only leave routing half-finished
    const weights = await CancellationScope.nonCancellable(() =>
      acts.restoring.finishRelease(spec, 'promoted'),
    );
    state.setWeights(weights, 'all traffic on stable, now running the canary version');
  } catch (error) {
    state.finish(
      'Failed',
      `stable runs ${spec.canaryVersion}, but routing could not be reset: ${explainActivityFailure(error)}; last known weights stable ${state.status.weights.stable}% / canary ${state.status.weights.canary}%`,
    );
    return;
  }
  if (run.plan.bakeMs !== null) {
    await bake(run, snapshot, promotedAtMs);
    return;
  }
  state.finish(
    'Promoted',
    state.promoteRequest
      ? `promoted ${spec.canaryVersion} early at the request of ${state.promoteRequest.actor}`
      : `promoted ${spec.canaryVersion}: every step passed analysis`,
  );
}

/**
 * Since this patch, a rollback whose fast retries fail does not end the release Failed: it keeps
 * retrying with backoff in phase RollbackRetrying.
 */
export const ROLLBACK_RETRY_PATCH = 'rollback-retries-until-done';

/** One round of the rollback: the pre-promotion stable back (when promotion began), then routing. */
async function rollbackRound(run: RunContext): Promise<void> {
  const { state, spec, acts } = run;
  if (state.stableSnapshot !== null) {
    await acts.restoring.restoreStable(spec, state.stableSnapshot);
    state.stableSnapshot = null;
  }
  state.setWeights(
    await acts.restoring.finishRelease(spec, 'rolledBack'),
    'all traffic back on stable',
  );
}

/**
 * Restores all traffic to stable (and the pre-promotion stable workload). When the restoring
 * proxy's fast retries fail, it retries until done (retryRollback); releases recorded before that
 * patch end Failed with the last known weights.
 */
export async function rollback(run: RunContext, reason: string): Promise<void> {
  const { state } = run;
  state.startRollback(reason);
  try {
    await rollbackRound(run);
    state.finish('RolledBack', reason, `rolled back: ${reason}`);
  } catch (error) {
    if (patched(ROLLBACK_RETRY_PATCH)) {
      await retryRollback(run, reason, explainActivityFailure(error), 1);
      return;
    }
    const { stable, canary } = state.status.weights;
    state.finish(
      'Failed',
      `${reason}; rollback failed: ${explainActivityFailure(error)}; last known weights stable ${stable}% / canary ${canary}%`,
    );
  }
}

/** The wait before round `attempt + 1`: the first backoff doubling per failed round, capped. */
export function rollbackBackoffMs(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(30, attempt - 1));
}

/**
 * Keeps rolling back after `attempts` failed rounds: waits (capped exponential backoff; `abort`
 * skips the wait), tries again, and continues as new when the history grows long. Ends RolledBack
 * when a round succeeds, or Failed when a person abandons it.
 */
export async function retryRollback(
  run: RunContext,
  reason: string,
  lastError: string,
  attempts: number,
): Promise<void> {
  const { state } = run;
  const { firstBackoffMs, maxBackoffMs } = run.timing;
  for (;;) {
    // a rollback may retry for hours: the next run goes on from here with the same count
    state.rollingBack = { reason, attempts, lastError };
    await run.maybeContinueAsNew();
    const delay = rollbackBackoffMs(attempts, firstBackoffMs, maxBackoffMs);
    state.rollbackRoundFailed(attempts, lastError, Date.now() + delay);
    await condition(() => state.retryNow !== null || state.abandonRequest !== null, delay);
    const abandoned = state.abandonRequest;
    if (abandoned) {
      const { stable, canary } = state.status.weights;
      state.rollingBack = null;
      state.finish(
        'Failed',
        `${reason}; rollback abandoned by ${abandoned.actor}${abandoned.comment ? ` (${abandoned.comment})` : ''} after ${attempts} failed attempts (last: ${lastError}); last known weights stable ${stable}% / canary ${canary}%; run canary repair ${state.status.namespace}/${state.status.service}`,
      );
      return;
    }
    if (state.retryNow)
      state.note({
        type: 'action',
        message: `rollback retried now at the request of ${state.retryNow.actor} (instead of waiting up to ${formatDuration(delay)})`,
      });
    state.retryNow = null;
    state.rollbackRoundStarted();
    try {
      await rollbackRound(run);
      state.rollingBack = null;
      state.finish('RolledBack', reason, `rolled back after ${attempts + 1} attempts: ${reason}`);
      return;
    } catch (error) {
      attempts += 1;
      lastError = explainActivityFailure(error);
    }
  }
}
