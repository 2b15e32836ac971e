/**
 * The release's state inside the workflow: what the status query returns, how phases and weights
 * change (each change also goes to the timeline and the search attributes), and what is carried
 * across continue-as-new. Only this file writes the status: the workflow and the handlers change
 * it through the verbs below, so each field has one place that keeps it consistent.
 * Workflow code: deterministic, no I/O.
 */
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { patched, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { StateChange } from '../core/notifications/events.js';
import type { ReleasePlan } from '../core/plan.js';
import { describeDecision } from '../core/policy.js';
import type { SubmittedSpec } from '../core/spec.js';
import type { Weights } from '../core/types.js';
import {
  TERMINAL_PHASES,
  type ActionRecord,
  type AnalysisRecord,
  type GateInfo,
  type Phase,
  type ReleaseStatus,
  type TimelineEvent,
} from './messages.js';

/** Since this patch, a stable version read from the stable workload goes into the memo. */
export const MEMO_STABLE_VERSION_PATCH = 'memo-stable-version';
export const PhaseKey = defineSearchAttributeKey('CanaryPhase', SearchAttributeType.KEYWORD);
export const ServiceKey = defineSearchAttributeKey('CanaryService', SearchAttributeType.KEYWORD);
export const NamespaceKey = defineSearchAttributeKey(
  'CanaryNamespace',
  SearchAttributeType.KEYWORD,
);
export const VersionKey = defineSearchAttributeKey('CanaryVersion', SearchAttributeType.KEYWORD);
export const WeightKey = defineSearchAttributeKey('CanaryWeight', SearchAttributeType.INT);
export const ReleaseIdKey = defineSearchAttributeKey(
  'CanaryReleaseId',
  SearchAttributeType.KEYWORD,
);

/** The timeline keeps the most recent events; decisions and actions are kept whole. */
const TIMELINE_LIMIT = 200;

/** Everything the workflow needs to continue a release in a new run (continue-as-new). */
export interface CarriedState {
  status: ReleaseStatus;
  /** Index into plan.steps of the next step to run. */
  nextStep: number;
  look: number;
  /** Epoch ms when the canary first received traffic: analysis covers everything since. */
  analysisStartMs: number | null;
  /** The stable workload as it was before promotion, for a rollback during promotion. */
  stableSnapshot: unknown;
  /** Set when a run ended in the middle of a step: the next run observes this long before analysing. */
  resumeWindowMs: number | null;
  /** Requests accepted in the last moments of the previous run, so none is lost to continue-as-new. */
  abortRequest?: AbortRequest | null;
  promoteRequest?: { actor: string } | null;
  /** Set when the run ended while a rollback kept failing: the next run goes on retrying it. */
  rollingBack?: RollingBack | null;
  abandonRequest?: { actor: string; comment?: string } | null;
}

/** A rollback that keeps failing: why it runs, failed rounds so far, the last error. */
export interface RollingBack {
  reason: string;
  attempts: number;
  lastError: string;
}

/** An abort, or a `rollback` during the bake (it undoes the promotion): both roll back. */
export interface AbortRequest {
  actor: string;
  reason: string;
  kind?: 'abort' | 'rollback';
}

export class ReleaseState {
  private readonly current: ReleaseStatus;
  nextStep: number;
  look: number;
  analysisStartMs: number | null;
  stableSnapshot: unknown;
  resumeWindowMs: number | null;
  /** Set by messages; read by the main flow. */
  abortRequest: AbortRequest | null = null;
  /** `abort` during RollbackRetrying: start the next round now. */
  retryNow: { actor: string } | null = null;
  /** `abandon` during RollbackRetrying: stop retrying, end Failed. */
  abandonRequest: { actor: string; comment?: string } | null = null;
  /** The rollback being retried (RollbackRetrying); carried when the run continues as new. */
  rollingBack: RollingBack | null;
  promoteRequest: { actor: string } | null = null;
  approval: { actor: string; comment?: string } | null = null;
  /** Stable runs the canary's version: only routing back to it is left, and abort no longer applies. */
  finalizing = false;
  /** Hears of every phase change and decision (workflows/announce.ts announces them). */
  private listener: ((change: StateChange) => void) | null = null;

  constructor(spec: SubmittedSpec, plan: ReleasePlan, carried?: CarriedState) {
    this.current = carried?.status ?? {
      releaseId: spec.releaseId,
      service: spec.service,
      namespace: spec.namespace,
      stableVersion: spec.stableVersion ?? null,
      canaryVersion: spec.canaryVersion,
      phase: 'Pending',
      step: 0,
      totalSteps: plan.steps.length,
      weights: { stable: 100, canary: 0 },
      windowEndsAt: null,
      windowRemainingMs: null,
      extensionsUsed: 0,
      pendingGate: null,
      paused: false,
      decisions: [],
      actions: [],
      timeline: [],
      outcome: null,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      generation: 0,
    };
    this.nextStep = carried?.nextStep ?? 0;
    this.look = carried?.look ?? 0;
    this.analysisStartMs = carried?.analysisStartMs ?? null;
    this.stableSnapshot = carried?.stableSnapshot ?? null;
    this.resumeWindowMs = carried?.resumeWindowMs ?? null;
    this.abortRequest = carried?.abortRequest ?? null;
    this.promoteRequest = carried?.promoteRequest ?? null;
    this.rollingBack = carried?.rollingBack ?? null;
    this.abandonRequest = carried?.abandonRequest ?? null;
  }

  /** Calls `listener` after each phase change and each decision from now on. */
  onChange(listener: (change: StateChange) => void): void {
    this.listener = listener;
  }

  /** The status as it is; read-only outside this class (change it through the verbs). */
  get status(): Readonly<ReleaseStatus> {
    return this.current;
  }

  carry(): CarriedState {
    return {
      status: { ...this.current, generation: this.current.generation + 1 },
      nextStep: this.nextStep,
      look: this.look,
      analysisStartMs: this.analysisStartMs,
      stableSnapshot: this.stableSnapshot,
      resumeWindowMs: this.resumeWindowMs,
      abortRequest: this.abortRequest,
      promoteRequest: this.promoteRequest,
      ...(this.rollingBack ? { rollingBack: this.rollingBack } : {}),
      ...(this.abandonRequest ? { abandonRequest: this.abandonRequest } : {}),
    };
  }

  /** The stable version, read from the cluster for a spec that did not name it. */
  setStableVersion(version: string, source: string): void {
    this.current.stableVersion = version;
    // the release list reads both versions from visibility (client/releases.ts sets the memo)
    if (patched(MEMO_STABLE_VERSION_PATCH)) upsertMemo({ stableVersion: version });
    this.note({ type: 'phase', message: `stable version ${version}, read from ${source}` });
  }

  note(event: Omit<TimelineEvent, 'at'>): void {
    const timeline = this.current.timeline;
    timeline.push({ at: new Date().toISOString(), ...event });
    if (timeline.length > TIMELINE_LIMIT) timeline.splice(0, timeline.length - TIMELINE_LIMIT);
  }

  setPhase(phase: Phase, message?: string): void {
    const previous = this.current.phase;
    if (previous === phase) return;
    this.current.phase = phase;
    const line = message ?? `phase ${phase}`;
    this.note({ type: 'phase', phase, message: line });
    upsertSearchAttributes([{ key: PhaseKey, value: phase }]);
    if (TERMINAL_PHASES.includes(phase)) this.current.finishedAt = new Date().toISOString();
    this.listener?.({ kind: 'phase', phase, previous, message: line });
  }

  setWeights(weights: Weights, message?: string): void {
    const changed =
      weights.canary !== this.current.weights.canary ||
      weights.stable !== this.current.weights.stable;
    this.current.weights = weights;
    if (!changed) return;
    this.note({
      type: 'weight',
      weight: weights.canary,
      message: message ?? `canary weight ${weights.canary}%`,
    });
    upsertSearchAttributes([{ key: WeightKey, value: weights.canary }]);
  }

  record(action: ActionRecord): void {
    this.current.actions.push(action);
    this.note({
      type: 'action',
      message: `${action.action} by ${action.actor} (${action.context})${action.comment ? `: ${action.comment}` : ''}`,
    });
  }

  /** Records a decision; its timeline entry names it by index, for the event stream. */
  addDecision(record: AnalysisRecord): void {
    const index = this.current.decisions.push(record) - 1;
    const message = describeDecision(record);
    this.note({ type: 'decision', message, decision: index });
    this.listener?.({ kind: 'decision', verdict: record.decision.verdict, message, index });
  }

  /** The step (1-based) whose weight is being applied and observed. */
  enterStep(index: number): void {
    this.current.step = index;
  }

  pause(): void {
    this.current.paused = true;
  }

  resume(): void {
    this.current.paused = false;
  }

  /** An observation window runs until `endsAtMs`. */
  openWindow(endsAtMs: number): void {
    this.current.windowEndsAt = new Date(endsAtMs).toISOString();
  }

  /** The window is paused with `remainingMs` left: the clock stops and the status shows what is left. */
  freezeWindow(remainingMs: number): void {
    this.current.windowEndsAt = null;
    this.current.windowRemainingMs = remainingMs;
  }

  /** No window runs (it ended, or the release left it). */
  closeWindow(): void {
    this.current.windowEndsAt = null;
    this.current.windowRemainingMs = null;
  }

  /** Counts one extension of an observation window. */
  useExtension(): void {
    this.current.extensionsUsed += 1;
  }

  openGate(gate: GateInfo): void {
    this.current.pendingGate = gate;
  }

  closeGate(): void {
    this.current.pendingGate = null;
  }

  /**
   * Leaves whatever the release was doing (a gate, a window, a pause) and starts rolling back;
   * `reason` is the outcome unless the rollback itself fails.
   */
  startRollback(reason: string): void {
    this.closeGate();
    this.closeWindow();
    this.resume();
    this.current.outcome = reason;
    this.setPhase('RollingBack', `rolling back: ${reason}`);
  }

  /** Ends the release in a terminal phase with its outcome (the timeline says `message`, by default the outcome). */
  finish(
    phase: 'Promoted' | 'RolledBack' | 'Rejected' | 'Failed',
    outcome: string,
    message = outcome,
  ): void {
    this.current.outcome = outcome;
    if (this.current.rollbackRetry) this.current.rollbackRetry.nextAttemptAt = null;
    this.setPhase(phase, message);
  }

  /**
   * A round of the rollback failed after its fast retries: the release shows RollbackRetrying with
   * the error and when it tries again.
   */
  rollbackRoundFailed(attempts: number, error: string, nextAttemptAtMs: number): void {
    const nextAttemptAt = new Date(nextAttemptAtMs).toISOString();
    this.current.rollbackRetry = { attempts, lastError: error, nextAttemptAt };
    const message = `rollback attempt ${attempts} failed: ${error}; retrying at ${nextAttemptAt}`;
    if (this.current.phase === 'RollbackRetrying') this.note({ type: 'error', message });
    else this.setPhase('RollbackRetrying', message);
  }

  /** A new round of a failing rollback starts now. */
  rollbackRoundStarted(): void {
    if (this.current.rollbackRetry) this.current.rollbackRetry.nextAttemptAt = null;
  }

  /** The promotion is done; the release bakes until `endsAtMs`, looking `looks` times. */
  startBake(endsAtMs: number, looks: number, message: string): void {
    this.current.bake = {
      endsAt: new Date(endsAtMs).toISOString(),
      looks,
      looksDone: 0,
      lastFinding: null,
    };
    this.setPhase('Baking', message);
  }

  /** One bake look's finding, for the status and the timeline. */
  bakeLooked(look: number, finding: string): void {
    const bake = this.current.bake;
    if (!bake) return;
    bake.looksDone = look;
    bake.lastFinding = finding;
    this.note({ type: 'phase', message: `bake look ${look}/${bake.looks}: ${finding}` });
  }

  /** Search attributes that identify the release; set at start so CLI-started releases are filterable too. */
  upsertIdentity(): void {
    const status = this.current;
    upsertSearchAttributes([
      { key: ServiceKey, value: status.service },
      { key: NamespaceKey, value: status.namespace },
      { key: VersionKey, value: status.canaryVersion },
      { key: PhaseKey, value: status.phase },
      { key: WeightKey, value: status.weights.canary },
      { key: ReleaseIdKey, value: status.releaseId },
    ]);
  }

  /** The status as the query returns it, with the window's remaining time as of now. */
  snapshot(): ReleaseStatus {
    const endsAt = this.current.windowEndsAt;
    const remaining =
      endsAt === null
        ? this.current.windowRemainingMs
        : Math.max(0, Date.parse(endsAt) - Date.now());
    return { ...this.current, windowRemainingMs: remaining };
  }
}
