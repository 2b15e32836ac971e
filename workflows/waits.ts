/**
 * How the release workflow waits on people and on time: an activity that an abort cuts short, a
 * pause before the next change of traffic, an observation window that pause stops, an approval
 * gate. Each wait ends in a rollback (RollbackRequested) when an abort arrives. Workflow code; kept
 * apart from the step loop in release.ts and the ending in ending.ts, which both use it.
 */
import { CancellationScope, condition } from '@temporalio/workflow';
import { formatDuration } from '../core/duration.js';
import type { ReleasePlan } from '../core/plan.js';
import type { ReleaseSpec } from '../core/spec.js';
import type { activitiesFor, RollbackTiming } from './activity-proxies.js';
import type { GateInfo } from './messages.js';
import type { ReleaseState } from './state.js';

/** What the waits and the ending need of a running release. */
export interface RunContext {
  readonly spec: ReleaseSpec;
  readonly plan: ReleasePlan;
  readonly state: ReleaseState;
  readonly acts: ReturnType<typeof activitiesFor>;
  readonly timing: RollbackTiming;
  /** Continues as new (carrying the state) when the history has grown past its limit; else returns. */
  maybeContinueAsNew(): Promise<void>;
}

/** Raised inside the workflow to leave the step loop for a rollback. */
export class RollbackRequested extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Leaves for a rollback when an abort (or, during the bake, a `rollback`) was accepted. */
export function checkAbort(state: ReleaseState): void {
  const abort = state.abortRequest;
  if (!abort) return;
  if (abort.kind === 'rollback')
    throw new RollbackRequested(
      `rollback of the promotion requested by ${abort.actor} during the bake${abort.reason ? `: ${abort.reason}` : ''}`,
    );
  throw new RollbackRequested(`aborted by ${abort.actor}: ${abort.reason}`);
}

/** Runs an activity, cancelling it at once when an abort arrives (no waiting for it to end). */
export async function interruptible<T>(state: ReleaseState, work: () => Promise<T>): Promise<T> {
  const scope = new CancellationScope();
  const watcher = new CancellationScope();
  const result = scope.run(work);
  const aborted = watcher.run(() => condition(() => state.abortRequest !== null));
  try {
    const winner = await Promise.race([
      result.then((value) => ({ value })),
      aborted.then(() => null),
    ]);
    if (winner === null) {
      scope.cancel();
      await result.catch(() => undefined);
      checkAbort(state);
    }
    return (winner as { value: T }).value;
  } finally {
    watcher.cancel();
    aborted.catch(() => undefined);
  }
}

/**
 * A pause accepted while an activity ran (an analysis, a weight change) takes effect here, before
 * the next weight change or the promotion. Abort rolls back; promote ends the pause.
 */
export async function waitWhilePaused(state: ReleaseState): Promise<void> {
  if (!state.status.paused) return;
  state.setPhase('Paused', 'paused before the next change of traffic');
  await condition(
    () => !state.status.paused || state.abortRequest !== null || state.promoteRequest !== null,
  );
  checkAbort(state);
  state.resume();
  state.setPhase(
    'Progressing',
    state.promoteRequest ? 'promotion requested while paused' : 'resumed',
  );
}

/** Waits out a window; pause stops the clock. Returns 'promote' when a promotion was requested. */
export async function observe(
  state: ReleaseState,
  durationMs: number,
): Promise<'elapsed' | 'promote'> {
  let remaining = durationMs;
  const interrupt = () => state.abortRequest !== null || state.promoteRequest !== null;
  while (remaining > 0) {
    if (state.status.paused) {
      state.freezeWindow(remaining);
      state.setPhase('Paused', `paused with ${formatDuration(remaining)} left in the window`);
      await condition(() => !state.status.paused || interrupt());
      checkAbort(state);
      if (state.promoteRequest) return 'promote';
      state.setPhase('Progressing', 'resumed');
    }
    const started = Date.now();
    state.openWindow(started + remaining);
    const interrupted = await condition(() => interrupt() || state.status.paused, remaining);
    remaining -= Date.now() - started;
    state.closeWindow();
    checkAbort(state);
    if (state.promoteRequest) return 'promote';
    if (!interrupted) break;
  }
  return 'elapsed';
}

/** Waits for approval. Abort rolls back; promote skips ahead; a timeout applies the policy. */
export async function gate(
  run: Pick<RunContext, 'spec' | 'plan' | 'state'>,
  kind: GateInfo['kind'],
  stepIndex: number | undefined,
  reason: string,
): Promise<'approved' | 'promote'> {
  const { state, plan, spec } = run;
  state.approval = null;
  const since = Date.now();
  state.openGate({
    kind,
    ...(stepIndex !== undefined ? { step: stepIndex } : {}),
    reason,
    since: new Date(since).toISOString(),
    deadline: new Date(since + plan.approvalTimeoutMs).toISOString(),
  });
  state.setPhase('AwaitingApproval', `waiting for approval: ${reason}`);
  const answered = await condition(
    () => state.approval !== null || state.abortRequest !== null || state.promoteRequest !== null,
    plan.approvalTimeoutMs,
  );
  state.closeGate();
  checkAbort(state);
  state.setPhase('Progressing');
  if (state.approval || state.promoteRequest) {
    state.approval = null;
    return state.promoteRequest ? 'promote' : 'approved';
  }
  if (!answered && spec.policies.approval.onTimeout === 'proceed') {
    state.note({
      type: 'action',
      message: `no approval within ${spec.policies.approval.timeout}: proceeding (policies.approval.onTimeout = proceed)`,
    });
    return 'approved';
  }
  throw new RollbackRequested(`no approval within ${spec.policies.approval.timeout} for ${reason}`);
}
