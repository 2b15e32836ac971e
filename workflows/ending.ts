/**
 * How a release ends: promotion (all traffic to the canary, stable updated to its version, routing
 * reset) or rollback (all traffic back on stable). Either ends Failed when a step of it fails after
 * retries, with the last known weights in the outcome. Workflow code, called by release.ts.
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import { explainActivityFailure } from './activity-proxies.js';
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
  state.finish(
    'Promoted',
    state.promoteRequest
      ? `promoted ${spec.canaryVersion} early at the request of ${state.promoteRequest.actor}`
      : `promoted ${spec.canaryVersion}: every step passed analysis`,
  );
}

/** Restores all traffic to stable; if even that fails after retries, the release ends Failed. */
export async function rollback(run: RunContext, reason: string): Promise<void> {
  const { state, spec, acts } = run;
  state.startRollback(reason);
  try {
    if (state.stableSnapshot !== null) {
      await acts.restoring.restoreStable(spec, state.stableSnapshot);
      state.stableSnapshot = null;
    }
    state.setWeights(
      await acts.restoring.finishRelease(spec, 'rolledBack'),
      'all traffic back on stable',
    );
    state.finish('RolledBack', reason, `rolled back: ${reason}`);
  } catch (error) {
    const { stable, canary } = state.status.weights;
    state.finish(
      'Failed',
      `${reason}; rollback failed: ${explainActivityFailure(error)}; last known weights stable ${stable}% / canary ${canary}%`,
    );
  }
}
