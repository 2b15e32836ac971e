/**
 * The repair workflow (`canary repair <namespace>/<service>`): puts a service back in order after
 * its release ended Failed, was terminated or timed out — stable's pre-promotion template restored
 * when the run had changed stable and not put it back, all traffic on stable, the canary scaled
 * down — and records who did it. It runs under the service's workflow id, so it becomes the
 * newest run: once it completes, the next release may start (client/releases.ts); if it fails, the
 * service stays blocked. It carries the repaired release's status (phase `Repaired`), so status,
 * list and the event stream show the repair under the release's id. Workflow code.
 */
import {
  ApplicationFailure,
  CancellationScope,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { planRelease, type ReleasePlan } from '../core/plan.js';
import type { ReleaseSpec } from '../core/spec.js';
import type { Weights } from '../core/types.js';
import { activitiesFor, explainActivityFailure } from './activity-proxies.js';
import {
  RELEASE_FAILED_FAILURE,
  statusQuery,
  type Phase,
  type RepairRecord,
  type ReleaseStatus,
  type TimelineEvent,
} from './messages.js';
import { PhaseKey, WeightKey } from './state.js';

export interface RepairWorkflowInput {
  /** The spec of the release being repaired (read from its run's start input). */
  spec: ReleaseSpec;
  /** Who asks for the repair (the API token's name). */
  actor: string;
  reason?: string;
  /** The run being repaired and how it ended (Temporal's status: FAILED, TERMINATED, TIMED_OUT). */
  repairedRunId: string;
  endedAs: string;
  /** Why it ended, in its own words (its failure's message), when known. */
  endedBecause?: string;
  /**
   * Stable's template before promotion, when the run had changed stable and not put it back
   * (read from the run's history); null when stable needs no restoring.
   */
  stableSnapshot: unknown;
  /** Stable already runs the canary's version (the promotion itself completed). */
  promoted: boolean;
  /** The release's status as the run left it (a ReleaseFailed failure's details), when known. */
  lastStatus?: ReleaseStatus;
  /** The last weights the run recorded (from its history), when known. */
  lastWeights?: Weights;
}

/** A status for a run whose own could not be read (terminated): the spec's, with what is known. */
function statusFromSpec(input: RepairWorkflowInput, plan: ReleasePlan): ReleaseStatus {
  const { spec } = input;
  return {
    releaseId: spec.releaseId,
    service: spec.service,
    namespace: spec.namespace,
    stableVersion: spec.stableVersion,
    canaryVersion: spec.canaryVersion,
    phase: 'Failed',
    step: 0,
    totalSteps: plan.steps.length,
    weights: input.lastWeights ?? { stable: 100, canary: 0 },
    windowEndsAt: null,
    windowRemainingMs: null,
    extensionsUsed: 0,
    pendingGate: null,
    paused: false,
    decisions: [],
    actions: [],
    timeline: [],
    outcome: input.endedBecause ?? `the release workflow ended ${input.endedAs}`,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    generation: 0,
  };
}

export async function canaryRepair(input: RepairWorkflowInput): Promise<ReleaseStatus> {
  const { spec, actor } = input;
  const plan = planRelease(spec);
  const record: RepairRecord = {
    actor,
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
    startedAt: new Date().toISOString(),
    finishedAt: null,
    endedAs: input.endedAs,
    repairedRunId: input.repairedRunId,
    done: [],
  };
  const status: ReleaseStatus = {
    ...(input.lastStatus ?? statusFromSpec(input, plan)),
    pendingGate: null,
    paused: false,
    windowEndsAt: null,
    windowRemainingMs: null,
    repair: record,
  };
  const note = (event: Omit<TimelineEvent, 'at'>) =>
    status.timeline.push({ at: new Date().toISOString(), ...event });
  const setPhase = (phase: Phase, message: string) => {
    status.phase = phase;
    note({ type: 'phase', phase, message });
    upsertSearchAttributes([{ key: PhaseKey, value: phase }]);
  };
  setHandler(statusQuery, () => status);
  note({
    type: 'action',
    message: `repair by ${actor}${input.reason ? `: ${input.reason}` : ''} (the release workflow had ended ${input.endedAs})`,
  });
  const hasSnapshot = input.stableSnapshot !== null && input.stableSnapshot !== undefined;
  setPhase(
    'Repairing',
    `repairing: ${hasSnapshot ? "stable's pre-promotion template back, then " : ''}all traffic to stable, canary down`,
  );

  const acts = activitiesFor(plan).restoring;
  try {
    // a repair runs to its end: cancelling it half-way would leave the service as unknown as before
    await CancellationScope.nonCancellable(async () => {
      if (hasSnapshot) {
        await acts.restoreStable(spec, input.stableSnapshot);
        const version = spec.stableVersion ? ` (${spec.stableVersion})` : '';
        record.done.push(`stable restored to its pre-promotion template${version}`);
      }
      const weights = await acts.finishRelease(spec, input.promoted ? 'promoted' : 'rolledBack');
      status.weights = weights;
      note({ type: 'weight', weight: weights.canary, message: 'all traffic on stable' });
      upsertSearchAttributes([{ key: WeightKey, value: weights.canary }]);
      record.done.push(
        `routing reset to stable (stable ${weights.stable}% / canary ${weights.canary}%)`,
        'canary scaled down',
      );
    });
  } catch (error) {
    record.finishedAt = new Date().toISOString();
    const so = record.done.length > 0 ? ` after: ${record.done.join(', ')}` : '';
    status.outcome = `repair by ${actor} failed${so}: ${explainActivityFailure(error)}; the service stays blocked until a repair succeeds`;
    setPhase('Failed', status.outcome);
    throw ApplicationFailure.nonRetryable(status.outcome, RELEASE_FAILED_FAILURE, status);
  }
  record.finishedAt = new Date().toISOString();
  status.finishedAt = record.finishedAt;
  status.outcome = `repaired by ${actor}: ${record.done.join(', ')}; the release had ended ${input.endedAs}${input.endedBecause ? ` (${input.endedBecause})` : ''}`;
  setPhase('Repaired', status.outcome);
  return status;
}
