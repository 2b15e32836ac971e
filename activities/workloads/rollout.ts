/**
 * Waiting for a Deployment's rollout, as `kubectl rollout status` judges it: the controller has
 * seen the latest generation and every replica is updated and available. Past the deadline (or
 * when the Deployment reports ProgressDeadlineExceeded) it fails with a message saying how far it
 * got. A cancelled activity (an abort) ends the wait at once: it is checked after every read and
 * wakes the sleep between polls (activities/heartbeat.ts).
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { sleepUnlessCancelled, throwIfCancelled } from '../heartbeat.js';
import { describeRef, type ObjectRef } from '../kube/objects.js';
import { type WorkloadError } from './errors.js';
import type { ProgressReporter } from './types.js';

export interface RolloutWait {
  ref: ObjectRef;
  read: () => Promise<V1Deployment>;
  progress: ProgressReporter;
  /** The error class thrown at the deadline or on a stalled rollout. */
  Failure: typeof WorkloadError;
  timeoutMs: number;
  /** The deadline as the spec wrote it, for the message. */
  timeoutText: string;
  pollMs: number;
  /** Ends the wait when aborted; default the running activity's cancellation (none outside one). */
  signal?: AbortSignal;
}

/**
 * Polls until the Deployment's rollout is complete; throws `Failure` (naming the Deployment and
 * its replica counts) at the deadline or when the Deployment reports ProgressDeadlineExceeded, and
 * the cancellation's reason (a CancelledFailure) as soon as the activity is cancelled.
 */
export async function waitForRollout(wait: RolloutWait): Promise<void> {
  const started = Date.now();
  const object = describeRef(wait.ref);
  const signal = wait.signal;
  for (;;) {
    throwIfCancelled(signal);
    const deployment = await wait.read();
    throwIfCancelled(signal);
    const state = rolloutState(deployment);
    wait.progress({
      deployment: object,
      ...state.counts,
      complete: state.complete,
      elapsedMs: Date.now() - started,
    });
    if (state.complete) return;
    if (state.stalled)
      throw new wait.Failure(`${object} stopped progressing (${state.stalled}); ${state.summary}`, {
        kind: 'timeout',
        nonRetryable: true,
        object,
      });
    if (Date.now() - started >= wait.timeoutMs) {
      throw new wait.Failure(
        `${object} was not ready within ${wait.timeoutText}: ${state.summary}`,
        {
          kind: 'timeout',
          nonRetryable: true,
          object,
        },
      );
    }
    await sleepUnlessCancelled(wait.pollMs, signal);
  }
}

interface RolloutState {
  complete: boolean;
  /** The reason when the Deployment reports it stopped progressing. */
  stalled?: string;
  counts: {
    desired: number;
    updated: number;
    available: number;
    total: number;
    observedGeneration: number;
    generation: number;
  };
  summary: string;
}

/** Where a Deployment's rollout stands, from its spec and status alone (as `kubectl rollout status`). */
function rolloutState(deployment: V1Deployment): RolloutState {
  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const counts = {
    desired,
    updated: status.updatedReplicas ?? 0,
    available: status.availableReplicas ?? 0,
    total: status.replicas ?? 0,
    observedGeneration: status.observedGeneration ?? 0,
    generation: deployment.metadata?.generation ?? 0,
  };
  const complete =
    counts.observedGeneration >= counts.generation &&
    counts.updated === desired &&
    counts.total === desired &&
    counts.available === desired;
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  const stalled =
    progressing?.reason === 'ProgressDeadlineExceeded'
      ? `ProgressDeadlineExceeded: ${progressing.message ?? ''}`.trim()
      : undefined;
  const seen =
    counts.observedGeneration >= counts.generation
      ? ''
      : `controller has not yet seen generation ${counts.generation} (observed ${counts.observedGeneration}); `;
  const summary = `${seen}${counts.updated}/${desired} replicas updated, ${counts.available}/${desired} available, ${counts.total} in total`;
  return { complete, ...(stalled && !complete ? { stalled } : {}), counts, summary };
}
