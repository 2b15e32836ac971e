/**
 * The release workflow's messages, declared once and shared by the workflow, the API and the CLI.
 * Every action exists both as a signal (for `temporal workflow signal` and the Temporal UI) and as
 * an update with a validator (for the API, so the caller learns at once whether it was accepted).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Decision } from '../core/judge/decision.js';
import type { Weights } from '../core/types.js';

/**
 * Every phase of a release; the API's schemas and the tests enumerate these, nothing else.
 * `Rejected`: the pre-flight refused the release before any change (the workflow completes).
 * `Baking`: promoted, watched for policies.promotion.bake before it ends Promoted.
 * `RollbackRetrying`: the rollback's fast retries failed; it retries with backoff until it succeeds
 * or a person abandons it.
 */
export const PHASES = [
  'Pending',
  'Progressing',
  'AwaitingApproval',
  'Paused',
  'Promoting',
  'Baking',
  'Promoted',
  'RollingBack',
  'RollbackRetrying',
  'RolledBack',
  'Rejected',
  'Failed',
  'Repairing',
  'Repaired',
] as const;
export type Phase = (typeof PHASES)[number];

export const TERMINAL_PHASES: readonly Phase[] = [
  'Promoted',
  'RolledBack',
  'Rejected',
  'Failed',
  'Repaired',
];

/**
 * `releaseId`, when given, names the release the action is meant for: the workflow id belongs to
 * the service, so an action sent just as one release ends and the next starts could otherwise land
 * on the wrong one. The API always sends it; a hand-sent signal may leave it out.
 */
export interface ActorArgs {
  actor: string;
  comment?: string;
  releaseId?: string;
}
export type ApproveArgs = ActorArgs;
export interface AbortArgs {
  actor: string;
  reason: string;
  releaseId?: string;
}
/** Any action's payload, as the handlers and the API treat it. */
export type ActionArgs = ActorArgs & { reason?: string };

/** The failure type of a release workflow that ended Failed; its details hold the final status. */
export const RELEASE_FAILED_FAILURE = 'ReleaseFailed';

/** The failure type of an update rejected because it names another release than the one running. */
export const OTHER_RELEASE_FAILURE = 'OtherRelease';

/** The failure type of an approval refused by four eyes (policies.approval.distinctApprover). */
export const DISTINCT_APPROVER_FAILURE = 'DistinctApproverRequired';

/**
 * `rollback` undoes a promotion during its bake; `abandon` gives up a rollback that keeps failing
 * (the release ends Failed and `canary repair` is left to do). See docs/lifecycle.md.
 */
export const ACTION_KINDS = [
  'approve',
  'abort',
  'pause',
  'resume',
  'promote',
  'rollback',
  'abandon',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** An accepted message, recorded so the history answers "who did this, and when". */
export interface ActionRecord {
  action: ActionKind;
  actor: string;
  at: string;
  comment?: string;
  /** What the action applied to, e.g. "gate before step 2" or "window of step 3". */
  context: string;
}

export const GATE_KINDS = ['step', 'promotion', 'hold'] as const;

/** A pending approval gate. */
export interface GateInfo {
  kind: (typeof GATE_KINDS)[number];
  /** Step the gate stands before (for kind "step"), or the step being held. */
  step?: number;
  reason: string;
  since: string;
  /** When the gate times out and `policies.approval.onTimeout` applies. */
  deadline: string;
}

/** One analysis look, as stored in the workflow's state and returned by the status query. */
export interface AnalysisRecord {
  step: number;
  look: number;
  plannedLooks: number;
  at: string;
  windowStart: string;
  windowEnd: string;
  /** Buckets dropped because an arm had no data in them. */
  missingBuckets: number;
  decision: Decision;
  /** What the workflow did with the verdict: one of core/policy.ts's DECISION_ACTIONS or an extension. */
  action: string;
}

export const TIMELINE_TYPES = ['phase', 'weight', 'decision', 'action', 'error'] as const;

/** A phase or weight change, for the event stream and the status. */
export interface TimelineEvent {
  at: string;
  type: (typeof TIMELINE_TYPES)[number];
  message: string;
  phase?: Phase;
  weight?: number;
  /**
   * For a "decision" entry: its index in `ReleaseStatus.decisions`, so the event stream pairs them
   * even after the timeline was trimmed (absent in entries recorded before it existed).
   */
  decision?: number;
}

/** A rollback that keeps failing (phase RollbackRetrying), as the status shows it. */
export interface RollbackRetryInfo {
  /** Rounds of the rollback that failed so far (each after its own fast retries). */
  attempts: number;
  lastError: string;
  /** When the next round starts; null while one runs or once the rollback ended. */
  nextAttemptAt: string | null;
}

/** The bake after a promotion (policies.promotion.bake). */
export interface BakeInfo {
  endsAt: string;
  looks: number;
  /** Looks made so far; the last one's finding. */
  looksDone: number;
  lastFinding: string | null;
}

export interface ReleaseStatus {
  releaseId: string;
  service: string;
  namespace: string;
  /** null until read from the stable Deployment, for a spec without stableVersion. */
  stableVersion: string | null;
  canaryVersion: string;
  phase: Phase;
  /** 1-based current step, 0 before the first. */
  step: number;
  totalSteps: number;
  weights: Weights;
  /** When the current observation window ends (null outside a window or while paused). */
  windowEndsAt: string | null;
  /** Milliseconds left in the current observation window as of the last workflow task (frozen while paused). */
  windowRemainingMs: number | null;
  extensionsUsed: number;
  pendingGate: GateInfo | null;
  paused: boolean;
  decisions: AnalysisRecord[];
  actions: ActionRecord[];
  timeline: TimelineEvent[];
  /** Why the release ended the way it did (set in a terminal phase). */
  outcome: string | null;
  startedAt: string;
  finishedAt: string | null;
  /** Continue-as-new generation (0 for the first run). */
  generation: number;
  /** Set once a rollback's fast retries failed (absent in releases that never needed it). */
  rollbackRetry?: RollbackRetryInfo;
  /** Set while and after the release bakes (absent without policies.promotion.bake). */
  bake?: BakeInfo;
  /** Set by `canary repair` (workflows/repair.ts) on the status of the release it repaired. */
  repair?: RepairRecord;
}

/** Who repaired a failed or terminated release, when, and what the repair did. */
export interface RepairRecord {
  actor: string;
  reason?: string;
  startedAt: string;
  finishedAt: string | null;
  /** How the repaired run had ended: FAILED, TERMINATED or TIMED_OUT (Temporal's status). */
  endedAs: string;
  /** The run that was repaired. */
  repairedRunId: string;
  /** What the repair did, in order ("stable restored to its pre-promotion template", ...). */
  done: string[];
}

export const approveSignal = defineSignal<[ApproveArgs]>('approve');
export const abortSignal = defineSignal<[AbortArgs]>('abort');
export const pauseSignal = defineSignal<[ActorArgs]>('pause');
export const resumeSignal = defineSignal<[ActorArgs]>('resume');
export const promoteSignal = defineSignal<[ActorArgs]>('promote');
export const rollbackSignal = defineSignal<[ActorArgs]>('rollback');
export const abandonSignal = defineSignal<[ActorArgs]>('abandon');

export const approveUpdate = defineUpdate<ReleaseStatus, [ApproveArgs]>('approveRelease');
export const abortUpdate = defineUpdate<ReleaseStatus, [AbortArgs]>('abortRelease');
export const pauseUpdate = defineUpdate<ReleaseStatus, [ActorArgs]>('pauseRelease');
export const resumeUpdate = defineUpdate<ReleaseStatus, [ActorArgs]>('resumeRelease');
export const promoteUpdate = defineUpdate<ReleaseStatus, [ActorArgs]>('promoteRelease');
export const rollbackUpdate = defineUpdate<ReleaseStatus, [ActorArgs]>('rollbackRelease');
export const abandonUpdate = defineUpdate<ReleaseStatus, [ActorArgs]>('abandonRelease');

export const statusQuery = defineQuery<ReleaseStatus>('status');

/** Search attributes registered on the Temporal server; see scripts/temporal.mjs. */
export const SEARCH_ATTRIBUTES = {
  CanaryPhase: 'Keyword',
  CanaryService: 'Keyword',
  CanaryNamespace: 'Keyword',
  CanaryVersion: 'Keyword',
  CanaryWeight: 'Int',
  /** The spec's releaseId, so the API can find a release (also a finished one) by its id. */
  CanaryReleaseId: 'Keyword',
} as const;

export const TASK_QUEUE = 'canary-releases';
export const RELEASE_WORKFLOW_TYPE = 'canaryRelease';
/**
 * The repair workflow (workflows/repair.ts): runs under the service's workflow id, so it becomes
 * the newest run and a completed repair unblocks the next release.
 */
export const REPAIR_WORKFLOW_TYPE = 'canaryRepair';
/** Both workflow types that carry a release's status (the repair carries the repaired release's). */
export const STATUS_WORKFLOW_TYPES = [RELEASE_WORKFLOW_TYPE, REPAIR_WORKFLOW_TYPE] as const;
