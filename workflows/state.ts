/**
 * The release's state inside the workflow: what the status query returns, how phases and weights
 * change (each change also goes to the timeline and the search attributes), and what is carried
 * across continue-as-new. Workflow code: deterministic, no I/O.
 */
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { ReleasePlan } from '../core/plan.js';
import type { ReleaseSpec } from '../core/spec.js';
import type { Weights } from '../core/types.js';
import { TERMINAL_PHASES, type ActionRecord, type AnalysisRecord, type Phase, type ReleaseStatus, type TimelineEvent } from './messages.js';

export const PhaseKey = defineSearchAttributeKey('CanaryPhase', SearchAttributeType.KEYWORD);
export const ServiceKey = defineSearchAttributeKey('CanaryService', SearchAttributeType.KEYWORD);
export const NamespaceKey = defineSearchAttributeKey('CanaryNamespace', SearchAttributeType.KEYWORD);
export const VersionKey = defineSearchAttributeKey('CanaryVersion', SearchAttributeType.KEYWORD);
export const WeightKey = defineSearchAttributeKey('CanaryWeight', SearchAttributeType.INT);
export const ReleaseIdKey = defineSearchAttributeKey('CanaryReleaseId', SearchAttributeType.KEYWORD);

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
  abortRequest?: { actor: string; reason: string } | null;
  promoteRequest?: { actor: string } | null;
}

export class ReleaseState {
  status: ReleaseStatus;
  nextStep: number;
  look: number;
  analysisStartMs: number | null;
  stableSnapshot: unknown;
  resumeWindowMs: number | null;
  /** Set by messages; read by the main flow. */
  abortRequest: { actor: string; reason: string } | null = null;
  promoteRequest: { actor: string } | null = null;
  approval: { actor: string; comment?: string } | null = null;
  /** Stable runs the canary's version: only routing back to it is left, and abort no longer applies. */
  finalizing = false;

  constructor(spec: ReleaseSpec, plan: ReleasePlan, carried?: CarriedState) {
    this.status = carried?.status ?? {
      releaseId: spec.releaseId,
      service: spec.service,
      namespace: spec.namespace,
      stableVersion: spec.stableVersion,
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
  }

  carry(): CarriedState {
    return {
      status: { ...this.status, generation: this.status.generation + 1 },
      nextStep: this.nextStep,
      look: this.look,
      analysisStartMs: this.analysisStartMs,
      stableSnapshot: this.stableSnapshot,
      resumeWindowMs: this.resumeWindowMs,
      abortRequest: this.abortRequest,
      promoteRequest: this.promoteRequest,
    };
  }

  note(event: Omit<TimelineEvent, 'at'>): void {
    this.status.timeline.push({ at: new Date().toISOString(), ...event });
    if (this.status.timeline.length > TIMELINE_LIMIT) this.status.timeline.splice(0, this.status.timeline.length - TIMELINE_LIMIT);
  }

  setPhase(phase: Phase, message?: string): void {
    if (this.status.phase === phase) return;
    this.status.phase = phase;
    this.note({ type: 'phase', phase, message: message ?? `phase ${phase}` });
    upsertSearchAttributes([{ key: PhaseKey, value: phase }]);
    if (TERMINAL_PHASES.includes(phase)) this.status.finishedAt = new Date().toISOString();
  }

  setWeights(weights: Weights, message?: string): void {
    const changed = weights.canary !== this.status.weights.canary || weights.stable !== this.status.weights.stable;
    this.status.weights = weights;
    if (!changed) return;
    this.note({ type: 'weight', weight: weights.canary, message: message ?? `canary weight ${weights.canary}%` });
    upsertSearchAttributes([{ key: WeightKey, value: weights.canary }]);
  }

  record(action: ActionRecord): void {
    this.status.actions.push(action);
    this.note({ type: 'action', message: `${action.action} by ${action.actor} (${action.context})${action.comment ? `: ${action.comment}` : ''}` });
  }

  addDecision(record: AnalysisRecord): void {
    this.status.decisions.push(record);
    this.note({ type: 'decision', message: `step ${record.step} look ${record.look}: ${record.decision.verdict} — ${record.decision.explanation} → ${record.action}` });
  }

  /** Search attributes that identify the release; set at start so CLI-started releases are filterable too. */
  upsertIdentity(): void {
    upsertSearchAttributes([
      { key: ServiceKey, value: this.status.service },
      { key: NamespaceKey, value: this.status.namespace },
      { key: VersionKey, value: this.status.canaryVersion },
      { key: PhaseKey, value: this.status.phase },
      { key: WeightKey, value: this.status.weights.canary },
      { key: ReleaseIdKey, value: this.status.releaseId },
    ]);
  }

  /** The status as the query returns it, with the window's remaining time as of now. */
  snapshot(): ReleaseStatus {
    const endsAt = this.status.windowEndsAt;
    const remaining = endsAt === null ? this.status.windowRemainingMs : Math.max(0, Date.parse(endsAt) - Date.now());
    return { ...this.status, windowRemainingMs: remaining };
  }
}
