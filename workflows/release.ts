/**
 * The canary release workflow. Steps: set weight → observe (a durable timer that pause stops) →
 * analyse → next step, extend, hold or roll back; optional approval gates; then promotion. Every
 * way out that is not a promotion ends in a rollback that restores all traffic to stable, also on
 * abort during a window or a gate, and when the workflow is cancelled.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  condition,
  continueAsNew,
  allHandlersFinished,
  isCancellation,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import type { AnalyseResult } from '../activities/contract.js';
import { formatDuration } from '../core/duration.js';
import { planRelease, type PlannedStep, type ReleasePlan } from '../core/plan.js';
import { metricsUnavailableDecision, nextMove } from '../core/policy.js';
import type { ReleaseSpec } from '../core/spec.js';
import {
  activitiesFor,
  failureMessage,
  isNonRetryable,
  isPreflightRefusal,
} from './activity-proxies.js';
import { installHandlers } from './handlers.js';
import { RELEASE_FAILED_FAILURE, type GateInfo, type ReleaseStatus } from './messages.js';
import { ReleaseState, type CarriedState } from './state.js';

/**
 * Since this patch, a release the pre-flight refused (namespace off the allow-list, objects that do
 * not opt in) fails without a rollback: nothing was changed, and the objects may not be touched.
 */
export const PREFLIGHT_PATCH = 'preflight-refusal-without-rollback';

export interface ReleaseWorkflowInput {
  spec: ReleaseSpec;
  /** State from the previous run, when the release continued as new. */
  carried?: CarriedState;
  /** Continue as new once history has this many events (default 2,000; tests use less). */
  historyLimit?: number;
  /**
   * The identity (API token name) that started the release, for the four-eyes rule
   * (policies.approval.distinctApprover). Absent in releases started before it existed.
   */
  startedBy?: string;
}

/** Raised inside the workflow to leave the step loop for a rollback. */
class RollbackRequested extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export async function canaryRelease(input: ReleaseWorkflowInput): Promise<ReleaseStatus> {
  const { spec } = input;
  const plan = planRelease(spec);
  const state = new ReleaseState(spec, plan, input.carried);
  installHandlers(state, {
    startedBy: input.startedBy,
    distinctApprover: spec.policies.approval.distinctApprover === true,
  });
  const run = new ReleaseRun(spec, plan, state, input.historyLimit ?? 2000, input.startedBy);

  try {
    if (!input.carried) {
      state.upsertIdentity();
      state.note({
        type: 'phase',
        phase: 'Pending',
        message: `release ${spec.releaseId}: ${spec.service} ${spec.stableVersion} → ${spec.canaryVersion} in ${plan.steps.length} steps`,
      });
      state.setWeights(
        await run.interruptible(() => run.acts.routing.prepareRelease(spec)),
        'routing prepared, all traffic on stable',
      );
      state.setPhase('Progressing');
    }
    await run.steps();
    await run.promote();
  } catch (error) {
    if (error instanceof ContinueAsNew) throw error;
    // a rollback runs to its end even when the workflow is cancelled while it runs
    if (error instanceof RollbackRequested) {
      await CancellationScope.nonCancellable(() => run.rollback(error.reason));
    } else if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() =>
        run.rollback('the release workflow was cancelled'),
      );
      throw error;
    } else if (isPreflightRefusal(error) && patched(PREFLIGHT_PATCH)) {
      state.finish('Failed', `refused before any change: ${failureMessage(error)}`);
    } else {
      await CancellationScope.nonCancellable(() => run.rollback(`error: ${failureMessage(error)}`));
    }
  }
  if (state.status.phase === 'Failed') {
    throw ApplicationFailure.nonRetryable(
      state.status.outcome ?? 'release failed',
      RELEASE_FAILED_FAILURE,
      state.snapshot(),
    );
  }
  return state.snapshot();
}

class ReleaseRun {
  readonly acts: ReturnType<typeof activitiesFor>;

  constructor(
    private readonly spec: ReleaseSpec,
    private readonly plan: ReleasePlan,
    private readonly state: ReleaseState,
    private readonly historyLimit: number,
    private readonly startedBy: string | undefined,
  ) {
    this.acts = activitiesFor(plan);
  }

  private checkAbort(): void {
    const abort = this.state.abortRequest;
    if (abort) throw new RollbackRequested(`aborted by ${abort.actor}: ${abort.reason}`);
  }

  /** Runs an activity, cancelling it at once when an abort arrives (no waiting for it to end). */
  async interruptible<T>(work: () => Promise<T>): Promise<T> {
    const scope = new CancellationScope();
    const watcher = new CancellationScope();
    const result = scope.run(work);
    const aborted = watcher.run(() => condition(() => this.state.abortRequest !== null));
    try {
      const winner = await Promise.race([
        result.then((value) => ({ value })),
        aborted.then(() => null),
      ]);
      if (winner === null) {
        scope.cancel();
        await result.catch(() => undefined);
        this.checkAbort();
      }
      return (winner as { value: T }).value;
    } finally {
      watcher.cancel();
      aborted.catch(() => undefined);
    }
  }

  private async maybeContinueAsNew(): Promise<void> {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < this.historyLimit) return;
    await condition(allHandlersFinished);
    this.state.note({
      type: 'phase',
      message: `continuing as new after ${info.historyLength} history events`,
    });
    await continueAsNew<typeof canaryRelease>({
      spec: this.spec,
      carried: this.state.carry(),
      historyLimit: this.historyLimit,
      ...(this.startedBy !== undefined ? { startedBy: this.startedBy } : {}),
    });
  }

  async steps(): Promise<void> {
    const { state, plan } = this;
    for (; state.nextStep < plan.steps.length; state.nextStep++) {
      this.checkAbort();
      if (state.promoteRequest) return;
      const step = plan.steps[state.nextStep] as PlannedStep;
      let windowMs = state.resumeWindowMs;
      state.resumeWindowMs = null;
      if (windowMs === null) {
        await this.maybeContinueAsNew();
        if (
          step.approval &&
          (await this.gate(
            'step',
            step.index,
            `approval before step ${step.index} (${step.weight}%)`,
          )) === 'promote'
        )
          return;
        await this.waitWhilePaused();
        if (state.promoteRequest) return;
        state.enterStep(step.index);
        state.setWeights(
          await this.interruptible(() => this.acts.routing.setCanaryWeight(this.spec, step.weight)),
          `step ${step.index}/${plan.steps.length}: canary weight ${step.weight}%`,
        );
        state.analysisStartMs ??= Date.now();
        windowMs = step.observeMs;
      }
      while (windowMs !== null) {
        if ((await this.observe(windowMs)) === 'promote') return;
        windowMs = await this.analyse(step);
        if (windowMs !== null && workflowInfo().historyLength >= this.historyLimit) {
          state.resumeWindowMs = windowMs;
          await this.maybeContinueAsNew();
        }
      }
    }
  }

  /**
   * A pause accepted while an activity ran (an analysis, a weight change) takes effect here, before
   * the next weight change or the promotion. Abort rolls back; promote ends the pause.
   */
  private async waitWhilePaused(): Promise<void> {
    const { state } = this;
    if (!state.status.paused) return;
    state.setPhase('Paused', 'paused before the next change of traffic');
    await condition(
      () => !state.status.paused || state.abortRequest !== null || state.promoteRequest !== null,
    );
    this.checkAbort();
    state.resume();
    state.setPhase(
      'Progressing',
      state.promoteRequest ? 'promotion requested while paused' : 'resumed',
    );
  }

  /** Waits out a window; pause stops the clock. Returns 'promote' when a promotion was requested. */
  private async observe(durationMs: number): Promise<'elapsed' | 'promote'> {
    const { state } = this;
    let remaining = durationMs;
    const interrupt = () => state.abortRequest !== null || state.promoteRequest !== null;
    while (remaining > 0) {
      if (state.status.paused) {
        state.freezeWindow(remaining);
        state.setPhase('Paused', `paused with ${formatDuration(remaining)} left in the window`);
        await condition(() => !state.status.paused || interrupt());
        this.checkAbort();
        if (state.promoteRequest) return 'promote';
        state.setPhase('Progressing', 'resumed');
      }
      const started = Date.now();
      state.openWindow(started + remaining);
      const interrupted = await condition(() => interrupt() || state.status.paused, remaining);
      remaining -= Date.now() - started;
      state.closeWindow();
      this.checkAbort();
      if (state.promoteRequest) return 'promote';
      if (!interrupted) break;
    }
    return 'elapsed';
  }

  /** One analysis look; returns the next window's length, or null to move to the next step. */
  private async analyse(step: PlannedStep): Promise<number | null> {
    const { state, plan, spec } = this;
    state.look += 1;
    const look = state.look;
    const at = new Date().toISOString();
    const { result, failure } = await this.runAnalysis(step, look, at);
    const move = nextMove(
      {
        verdict: result.decision.verdict,
        explanation: result.decision.explanation,
        ...(failure ? { metricsFailure: failure } : {}),
      },
      { step, plan, extensionsUsed: state.status.extensionsUsed, policies: spec.policies },
    );
    if (move.kind === 'extend') state.useExtension();
    state.addDecision({
      step: step.index,
      look,
      plannedLooks: plan.plannedLooks,
      at,
      windowStart: result.windowStart,
      windowEnd: result.windowEnd,
      missingBuckets: result.missingBuckets,
      decision: result.decision,
      action: move.action,
    });
    switch (move.kind) {
      case 'next':
        return null;
      case 'extend':
        return move.windowMs;
      case 'hold':
        return this.hold(step, move.reason);
      case 'rollback':
        throw new RollbackRequested(move.reason);
    }
  }

  /** Runs the analysis activity; metrics that cannot be had become an inconclusive result and the failure. */
  private async runAnalysis(
    step: PlannedStep,
    look: number,
    at: string,
  ): Promise<{ result: AnalyseResult; failure?: { message: string; nonRetryable: boolean } }> {
    const { state, plan, spec } = this;
    try {
      return {
        result: await this.interruptible(() =>
          this.acts.analysis.analyseCanary({
            spec,
            step: step.index,
            look,
            plannedLooks: plan.plannedLooks,
            fromMs: state.analysisStartMs ?? Date.now(),
            toMs: Date.now(),
          }),
        ),
      };
    } catch (error) {
      if (error instanceof RollbackRequested || isCancellation(error)) throw error;
      const failure = { message: failureMessage(error), nonRetryable: isNonRetryable(error) };
      const decision = metricsUnavailableDecision(failure, look, plan.plannedLooks);
      return {
        result: {
          decision,
          bucketsUsed: 0,
          missingBuckets: 0,
          windowStart: new Date(state.analysisStartMs ?? Date.now()).toISOString(),
          windowEnd: at,
        },
        failure,
      };
    }
  }

  private async hold(step: PlannedStep, reason: string): Promise<null> {
    await this.gate('hold', step.index, reason);
    return null;
  }

  /** Waits for approval. Abort rolls back; promote skips ahead; a timeout applies the policy. */
  private async gate(
    kind: GateInfo['kind'],
    stepIndex: number | undefined,
    reason: string,
  ): Promise<'approved' | 'promote'> {
    const { state, plan, spec } = this;
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
    this.checkAbort();
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
    throw new RollbackRequested(
      `no approval within ${spec.policies.approval.timeout} for ${reason}`,
    );
  }

  async promote(): Promise<void> {
    const { state, spec } = this;
    await this.waitWhilePaused();
    if (spec.policies.promotion.requireApproval && !state.promoteRequest)
      await this.gate('promotion', undefined, 'approval before promotion');
    state.closeGate();
    state.setPhase(
      'Promoting',
      state.promoteRequest
        ? `promotion requested by ${state.promoteRequest.actor}`
        : 'every step passed',
    );
    state.setWeights(
      await this.interruptible(() => this.acts.routing.setCanaryWeight(spec, 100)),
      'all traffic on the canary while stable is updated',
    );
    state.stableSnapshot = (await this.acts.routing.snapshotStable(spec)).snapshot;
    try {
      await this.interruptible(() => this.acts.promoting.promoteStable(spec));
    } catch (error) {
      if (error instanceof RollbackRequested || isCancellation(error)) throw error;
      state.finish(
        'Failed',
        `promotion failed: the stable workload did not become healthy on ${spec.canaryVersion} (${failureMessage(error)}); traffic stays 100% on the canary, which passed analysis`,
      );
      return;
    }
    state.stableSnapshot = null;
    state.finalizing = true;
    try {
      // like a rollback, the reset runs to its end when the workflow is cancelled meanwhile: stable
      // already runs the canary's version, so a cancel can only leave routing half-finished
      const weights = await CancellationScope.nonCancellable(() =>
        this.acts.restoring.finishRelease(spec, 'promoted'),
      );
      state.setWeights(weights, 'all traffic on stable, now running the canary version');
    } catch (error) {
      state.finish(
        'Failed',
        `stable runs ${spec.canaryVersion}, but routing could not be reset: ${failureMessage(error)}; last known weights stable ${state.status.weights.stable}% / canary ${state.status.weights.canary}%`,
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
  async rollback(reason: string): Promise<void> {
    const { state, spec } = this;
    state.startRollback(reason);
    try {
      if (state.stableSnapshot !== null) {
        await this.acts.restoring.restoreStable(spec, state.stableSnapshot);
        state.stableSnapshot = null;
      }
      state.setWeights(
        await this.acts.restoring.finishRelease(spec, 'rolledBack'),
        'all traffic back on stable',
      );
      state.finish('RolledBack', reason, `rolled back: ${reason}`);
    } catch (error) {
      const { stable, canary } = state.status.weights;
      state.finish(
        'Failed',
        `${reason}; rollback failed: ${failureMessage(error)}; last known weights stable ${stable}% / canary ${canary}%`,
      );
    }
  }
}
