/**
 * The canary release workflow. Steps: set weight → observe (a durable timer that pause stops) →
 * analyse → next step, extend, hold or roll back; optional approval gates; then promotion. Every
 * way out that is not a promotion ends in a rollback that restores all traffic to stable, also on
 * abort during a window or a gate, and when the workflow is cancelled. The waits (windows, gates,
 * pauses, abortable activities) live in waits.ts, the promotion and rollback in ending.ts.
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
import { planRelease, type PlannedStep, type ReleasePlan } from '../core/plan.js';
import { metricsUnavailableDecision, nextMove } from '../core/policy.js';
import { hasStableVersion, type ReleaseSpec, type SubmittedSpec } from '../core/spec.js';
import {
  activitiesFor,
  explainActivityFailure,
  failureMessage,
  isNonRetryable,
  isPreflightRefusal,
  ROLLBACK_TIMING,
  type RollbackTiming,
} from './activity-proxies.js';
import { Announcer, type AnnounceTiming } from './announce.js';
import { promote, retryRollback, rollback } from './ending.js';
import { installHandlers } from './handlers.js';
import { RELEASE_FAILED_FAILURE, type ReleaseStatus } from './messages.js';
import { ReleaseState, type CarriedState } from './state.js';
import {
  checkAbort,
  gate,
  interruptible,
  observe,
  RollbackRequested,
  waitWhilePaused,
  type RunContext,
} from './waits.js';

/**
 * Since this patch, a release the pre-flight refused (namespace off the allow-list, objects that do
 * not opt in) fails without a rollback: nothing was changed, and the objects may not be touched.
 */
export const PREFLIGHT_PATCH = 'preflight-refusal-without-rollback';

/**
 * Since this patch, such a release ends in phase Rejected and its workflow completes (it blocks
 * nothing); before, it ended Failed.
 */
export const REJECTED_PATCH = 'preflight-rejected';

export interface ReleaseWorkflowInput {
  /** The validated spec; one without stableVersion is resolved first, and continues as new resolved. */
  spec: SubmittedSpec;
  /** State from the previous run, when the release continued as new. */
  carried?: CarriedState;
  /** Continue as new once history has this many events (default 2,000; tests use less). */
  historyLimit?: number;
  /**
   * The identity (API token name) that started the release, for the four-eyes rule
   * (policies.approval.distinctApprover). Absent in releases started before it existed.
   */
  startedBy?: string;
  /** How a failing rollback retries (default activity-proxies.ts ROLLBACK_TIMING; tests use less). */
  rollbackTiming?: RollbackTiming;
  /** How announcements retry and how long the end waits for them (default announce.ts ANNOUNCE_TIMING). */
  announceTiming?: AnnounceTiming;
}

export async function canaryRelease(input: ReleaseWorkflowInput): Promise<ReleaseStatus> {
  const { spec: submitted } = input;
  const plan = planRelease(submitted);
  const state = new ReleaseState(submitted, plan, input.carried);
  installHandlers(state, {
    startedBy: input.startedBy,
    distinctApprover: submitted.policies.approval.distinctApprover === true,
  });
  const run = new ReleaseRun(submitted, plan, state, input);

  if (state.rollingBack) {
    // the previous run continued as new while a failing rollback was being retried
    const { reason, lastError, attempts } = state.rollingBack;
    await CancellationScope.nonCancellable(() => retryRollback(run, reason, lastError, attempts));
    await run.announcer.settle();
    return finalResult(state);
  }
  try {
    // before anything else: a spec without stableVersion gets it from the stable Deployment
    const spec = await run.resolveStableVersion();
    if (!input.carried) {
      state.upsertIdentity();
      state.note({
        type: 'phase',
        phase: 'Pending',
        message: `release ${spec.releaseId}: ${spec.service} ${spec.stableVersion} → ${spec.canaryVersion} in ${plan.steps.length} steps`,
      });
      state.setWeights(
        await interruptible(state, () => run.acts.routing.prepareRelease(spec)),
        'routing prepared, all traffic on stable',
      );
      state.setPhase('Progressing');
    }
    await run.steps();
    await promote(run);
  } catch (error) {
    if (error instanceof ContinueAsNew) throw error;
    // a rollback runs to its end even when the workflow is cancelled while it runs
    if (error instanceof RollbackRequested) {
      await CancellationScope.nonCancellable(() => rollback(run, error.reason));
    } else if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() =>
        rollback(run, 'the release workflow was cancelled'),
      );
      await run.announcer.settle();
      throw error;
    } else if (isPreflightRefusal(error) && patched(PREFLIGHT_PATCH)) {
      const outcome = `refused before any change: ${failureMessage(error)}`;
      state.finish(patched(REJECTED_PATCH) ? 'Rejected' : 'Failed', outcome);
    } else {
      await CancellationScope.nonCancellable(() =>
        rollback(run, `error: ${explainActivityFailure(error)}`),
      );
    }
  }
  await run.announcer.settle();
  return finalResult(state);
}

/** The workflow's result: the final status, or a ReleaseFailed failure carrying it. */
function finalResult(state: ReleaseState): ReleaseStatus {
  if (state.status.phase === 'Failed') {
    throw ApplicationFailure.nonRetryable(
      state.status.outcome ?? 'release failed',
      RELEASE_FAILED_FAILURE,
      state.snapshot(),
    );
  }
  return state.snapshot();
}

/** The step loop of one run: weight, window, analysis, and what the decision means next. */
class ReleaseRun implements RunContext {
  readonly acts: ReturnType<typeof activitiesFor>;
  private resolved: ReleaseSpec | undefined;
  readonly timing: RollbackTiming;
  /** Announces phase changes and decisions without holding the release up. */
  readonly announcer: Announcer;
  private readonly historyLimit: number;

  constructor(
    private readonly submitted: SubmittedSpec,
    readonly plan: ReleasePlan,
    readonly state: ReleaseState,
    private readonly input: ReleaseWorkflowInput,
  ) {
    this.timing = input.rollbackTiming ?? ROLLBACK_TIMING;
    this.historyLimit = input.historyLimit ?? 2000;
    this.acts = activitiesFor(plan, this.timing);
    this.announcer = new Announcer(submitted, state, input.announceTiming);
    if (hasStableVersion(submitted)) this.resolved = submitted;
  }

  /**
   * The spec the release runs on. Until the stable version is read (the first activity, only for a
   * spec without one) nothing has changed; an abort then rolls back with the stable version empty,
   * which the rollback's activities do not read.
   */
  get spec(): ReleaseSpec {
    return this.resolved ?? { ...this.submitted, stableVersion: '' };
  }

  /** The spec with its stable version, read from the stable workload when the spec has none. */
  async resolveStableVersion(): Promise<ReleaseSpec> {
    if (this.resolved) return this.resolved;
    const stableVersion = await this.acts.routing.resolveStableVersion(this.submitted);
    const { workloads, namespace } = this.submitted;
    const source =
      workloads.type === 'kubernetes'
        ? `${namespace}/Deployment/${workloads.stableDeployment} (label version)`
        : 'the stable workload';
    this.state.setStableVersion(stableVersion, source);
    this.resolved = { ...this.submitted, stableVersion };
    return this.resolved;
  }

  async maybeContinueAsNew(): Promise<void> {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < this.historyLimit) return;
    await condition(allHandlersFinished);
    // deliveries under way would be lost with this run
    await this.announcer.settle();
    this.state.note({
      type: 'phase',
      message: `continuing as new after ${info.historyLength} history events`,
    });
    await continueAsNew<typeof canaryRelease>({
      ...this.input,
      spec: this.spec,
      carried: this.state.carry(),
      historyLimit: this.historyLimit,
    });
  }

  async steps(): Promise<void> {
    const { state, plan } = this;
    for (; state.nextStep < plan.steps.length; state.nextStep++) {
      checkAbort(state);
      if (state.promoteRequest) return;
      const step = plan.steps[state.nextStep] as PlannedStep;
      let windowMs = state.resumeWindowMs;
      state.resumeWindowMs = null;
      if (windowMs === null) {
        await this.maybeContinueAsNew();
        if (
          step.approval &&
          (await gate(
            this,
            'step',
            step.index,
            `approval before step ${step.index} (${step.weight}%)`,
          )) === 'promote'
        )
          return;
        await waitWhilePaused(state);
        if (state.promoteRequest) return;
        state.enterStep(step.index);
        state.setWeights(
          await interruptible(state, () =>
            this.acts.routing.setCanaryWeight(this.spec, step.weight),
          ),
          `step ${step.index}/${plan.steps.length}: canary weight ${step.weight}%`,
        );
        state.analysisStartMs ??= Date.now();
        windowMs = step.observeMs;
      }
      while (windowMs !== null) {
        if ((await observe(state, windowMs)) === 'promote') return;
        windowMs = await this.analyse(step);
        if (windowMs !== null && workflowInfo().historyLength >= this.historyLimit) {
          state.resumeWindowMs = windowMs;
          await this.maybeContinueAsNew();
        }
      }
    }
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
        result: await interruptible(state, () =>
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
    await gate(this, 'hold', step.index, reason);
    return null;
  }
}
