/**
 * Message handlers of the release workflow. Each action is a signal (fire and forget, for the
 * Temporal CLI and UI) and an update whose validator rejects it at once when it does not apply.
 * A signal that does not apply, or whose payload is malformed, is ignored and noted in the
 * timeline: a bad signal never breaks a release in flight.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import {
  abandonSignal,
  abandonUpdate,
  abortSignal,
  abortUpdate,
  approveSignal,
  approveUpdate,
  DISTINCT_APPROVER_FAILURE,
  OTHER_RELEASE_FAILURE,
  pauseSignal,
  pauseUpdate,
  promoteSignal,
  promoteUpdate,
  resumeSignal,
  resumeUpdate,
  rollbackSignal,
  rollbackUpdate,
  statusQuery,
  TERMINAL_PHASES,
  type ActionArgs,
  type ActionKind,
  type ReleaseStatus,
} from './messages.js';
import type { ReleaseState } from './state.js';

const MAX_TEXT = 1000;

/** What is wrong with a message's payload, or null. Payloads come from outside: check everything. */
export function payloadProblem(kind: ActionKind, args: unknown): string | null {
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    return `${kind} expects an object such as {"actor": "alice"}`;
  const record = args as Record<string, unknown>;
  const allowed =
    kind === 'abort' ? ['actor', 'reason', 'releaseId'] : ['actor', 'comment', 'releaseId'];
  const unknown = Object.keys(record).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    return `${kind}: unknown field ${unknown.map((k) => `"${k}"`).join(', ')} (allowed: ${allowed.join(', ')})`;
  if (typeof record.actor !== 'string' || record.actor.trim() === '' || record.actor.length > 128)
    return `${kind}: "actor" must be a non-empty string of at most 128 characters`;
  if (
    kind === 'abort' &&
    (typeof record.reason !== 'string' ||
      record.reason.trim() === '' ||
      record.reason.length > MAX_TEXT)
  ) {
    return `abort: "reason" must be a non-empty string of at most ${MAX_TEXT} characters`;
  }
  if (
    record.comment !== undefined &&
    (typeof record.comment !== 'string' || record.comment.length > MAX_TEXT)
  ) {
    return `${kind}: "comment" must be a string of at most ${MAX_TEXT} characters`;
  }
  if (
    record.releaseId !== undefined &&
    (typeof record.releaseId !== 'string' || record.releaseId.length > 128)
  ) {
    return `${kind}: "releaseId" must be a string of at most 128 characters`;
  }
  return null;
}

/** Why an action addressed to another release does not apply to this one, or null. */
export function addresseeProblem(
  kind: ActionKind,
  args: ActionArgs,
  state: ReleaseState,
): string | null {
  const own = state.status.releaseId;
  return args.releaseId === undefined || args.releaseId === own
    ? null
    : `${kind} was meant for release ${args.releaseId}, but this workflow runs release ${own}`;
}

/** Why an action does not apply to the release as it is now, or null when it does. */
export function applicabilityProblem(kind: ActionKind, state: ReleaseState): string | null {
  const { phase, pendingGate, paused } = state.status;
  if (TERMINAL_PHASES.includes(phase)) return `the release has already ended (${phase})`;
  switch (kind) {
    case 'approve':
      return pendingGate === null ? `no approval gate is pending (phase ${phase})` : null;
    case 'abort':
      // while a failing rollback waits for its next round, abort means "retry now"
      if (phase === 'RollbackRetrying') return null;
      if (phase === 'RollingBack' || state.abortRequest)
        return 'the release is already rolling back';
      if (state.finalizing)
        return 'the canary version already runs as stable; the release is finishing its promotion';
      return null;
    case 'pause':
      if (paused) return 'the release is already paused';
      return phase === 'Progressing'
        ? null
        : `pause applies only while the release is progressing (phase ${phase})`;
    case 'resume':
      return paused ? null : `the release is not paused (phase ${phase})`;
    case 'promote':
      if (state.promoteRequest) return 'promotion was already requested';
      return ['Progressing', 'Paused', 'AwaitingApproval'].includes(phase)
        ? null
        : `promote does not apply in phase ${phase}`;
    case 'rollback':
      if (phase !== 'Baking')
        return `rollback applies only while a promoted release bakes (phase ${phase}); before promotion, abort`;
      return state.abortRequest ? 'the release is already rolling back' : null;
    case 'abandon':
      if (phase !== 'RollbackRetrying')
        return `abandon applies only while a failing rollback is retried (phase ${phase})`;
      return state.abandonRequest ? 'the rollback was already abandoned' : null;
  }
}

/** What the handlers know of the release's start, for rules about people. */
export interface ApprovalRules {
  /** The identity that started the release; undefined when unknown (an older release). */
  startedBy: string | undefined;
  /** policies.approval.distinctApprover: the starter may not approve. */
  distinctApprover: boolean;
}

/** Why a person may not take this action on this release (four eyes), or null. */
export function policyProblem(
  kind: ActionKind,
  args: ActionArgs,
  rules: ApprovalRules,
): string | null {
  if (kind !== 'approve' || !rules.distinctApprover || rules.startedBy === undefined) return null;
  return args.actor === rules.startedBy
    ? `policies.approval.distinctApprover: ${args.actor} started this release and may not approve it; another person must`
    : null;
}

/** Where in the release an action landed, for the record. */
function context(state: ReleaseState): string {
  const { pendingGate, step, phase } = state.status;
  if (pendingGate)
    return pendingGate.kind === 'step'
      ? `gate before step ${pendingGate.step}`
      : pendingGate.kind === 'promotion'
        ? 'gate before promotion'
        : `hold at step ${pendingGate.step}`;
  if (step > 0 && (phase === 'Progressing' || phase === 'Paused')) return `step ${step}`;
  return `phase ${phase}`;
}

function apply(kind: ActionKind, payload: ActionArgs, state: ReleaseState): void {
  state.record({
    action: kind,
    actor: payload.actor,
    at: new Date().toISOString(),
    context: context(state),
    ...(kind === 'abort'
      ? { comment: payload.reason }
      : payload.comment !== undefined
        ? { comment: payload.comment }
        : {}),
  });
  switch (kind) {
    case 'approve':
      state.approval = {
        actor: payload.actor,
        ...(payload.comment !== undefined ? { comment: payload.comment } : {}),
      };
      break;
    case 'abort':
      if (state.status.phase === 'RollbackRetrying') state.retryNow = { actor: payload.actor };
      else state.abortRequest = { actor: payload.actor, reason: payload.reason ?? '' };
      break;
    case 'rollback':
      state.abortRequest = {
        actor: payload.actor,
        reason: payload.comment ?? '',
        kind: 'rollback',
      };
      break;
    case 'abandon':
      state.abandonRequest = {
        actor: payload.actor,
        ...(payload.comment !== undefined ? { comment: payload.comment } : {}),
      };
      break;
    case 'pause':
      state.pause();
      break;
    case 'resume':
      state.resume();
      break;
    case 'promote':
      state.promoteRequest = { actor: payload.actor };
      break;
  }
}

const MESSAGES = [
  ['approve', approveSignal, approveUpdate],
  ['abort', abortSignal, abortUpdate],
  ['pause', pauseSignal, pauseUpdate],
  ['resume', resumeSignal, resumeUpdate],
  ['promote', promoteSignal, promoteUpdate],
  ['rollback', rollbackSignal, rollbackUpdate],
  ['abandon', abandonSignal, abandonUpdate],
] as const;

export function installHandlers(
  state: ReleaseState,
  rules: ApprovalRules = { startedBy: undefined, distinctApprover: false },
): void {
  for (const [kind, signal, update] of MESSAGES) {
    setHandler(signal, (args: unknown) => {
      const problem =
        payloadProblem(kind, args) ??
        addresseeProblem(kind, args as ActionArgs, state) ??
        policyProblem(kind, args as ActionArgs, rules) ??
        applicabilityProblem(kind, state);
      if (problem) {
        state.note({ type: 'error', message: `ignored ${kind} signal: ${problem}` });
        return;
      }
      apply(kind, args as ActionArgs, state);
    });
    setHandler(
      update,
      (args: unknown): ReleaseStatus => {
        apply(kind, args as ActionArgs, state);
        return state.snapshot();
      },
      {
        validator: (args: unknown) => {
          const payload = payloadProblem(kind, args);
          if (payload) throw new Error(payload);
          const addressee = addresseeProblem(kind, args as ActionArgs, state);
          if (addressee)
            throw ApplicationFailure.create({
              message: addressee,
              type: OTHER_RELEASE_FAILURE,
              nonRetryable: true,
            });
          const policy = policyProblem(kind, args as ActionArgs, rules);
          if (policy)
            throw ApplicationFailure.create({
              message: policy,
              type: DISTINCT_APPROVER_FAILURE,
              nonRetryable: true,
            });
          const problem = applicabilityProblem(kind, state);
          if (problem) throw new Error(problem);
        },
      },
    );
  }
  setHandler(statusQuery, () => state.snapshot());
}
