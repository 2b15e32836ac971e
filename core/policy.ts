/**
 * What a release does after an analysis look — go on (the next step, or promotion after the last),
 * extend the window, hold for a person, or roll back — given the verdict, the extensions already
 * used and the spec's policies. Pure and workflow-safe: the workflow only carries the move out, so
 * every branch is unit tested here without a workflow. Also the one owner of the decision
 * vocabulary: the actions recorded with each decision and the decision line people read.
 */
import { formatDuration } from './duration.js';
import type { Decision } from './judge/decision.js';
import type { PlannedStep, ReleasePlan } from './plan.js';
import type { ReleaseSpec } from './spec.js';
import type { Verdict } from './types.js';

/** The actions recorded with a decision (`AnalysisRecord.action`), except extensions (see extendAction). */
export const DECISION_ACTIONS = {
  nextStep: 'next step',
  promote: 'promote',
  rollBack: 'roll back',
  rollBackMetricsUnavailable: 'roll back (metrics unavailable)',
  holdMetricsUnavailable: 'hold for a person (metrics unavailable)',
  rollBackInconclusive: 'roll back (inconclusive after every extension)',
  holdInconclusive: 'hold for a person (inconclusive after every extension)',
} as const;

/** The action of an extension: "extend window by 1m (1/2)". */
export function extendAction(
  windowMs: number,
  extensionsUsed: number,
  maxExtensions: number,
): string {
  return `extend window by ${formatDuration(windowMs)} (${extensionsUsed}/${maxExtensions})`;
}

/** What the release does next. `reason` becomes the gate's reason (hold) or the outcome (rollback). */
export type Move =
  /** Leave the step: on to the next one, or to promotion after the last. */
  | { kind: 'next'; action: string }
  /** Observe the same step again for `windowMs`; uses one extension. */
  | { kind: 'extend'; action: string; windowMs: number }
  | { kind: 'hold'; action: string; reason: string }
  | { kind: 'rollback'; action: string; reason: string };

/** One look as the policy sees it. */
export interface LookResult {
  verdict: Verdict;
  explanation: string;
  /** Set when the analysis could not get metrics at all; `nonRetryable` when retrying cannot help (a bad query). */
  metricsFailure?: { message: string; nonRetryable: boolean };
}

export interface PolicyContext {
  step: Pick<PlannedStep, 'index' | 'observeMs'>;
  plan: Pick<ReleasePlan, 'steps' | 'maxExtensions' | 'extendByMs'>;
  /** Extensions used so far in the whole release. */
  extensionsUsed: number;
  policies: Pick<ReleaseSpec['policies'], 'metricsUnavailable' | 'inconclusive'>;
}

/**
 * The move after a look. Metrics that cannot be had follow `policies.metricsUnavailable` (a query
 * that can never work rolls back even under "inconclusive": waiting would not fix it); otherwise
 * pass goes on, fail rolls back, and inconclusive extends until the extensions are used up, then
 * follows `policies.inconclusive.then`.
 */
export function nextMove(look: LookResult, context: PolicyContext): Move {
  const { step, plan, policies } = context;
  const failure = look.metricsFailure;
  if (failure) {
    const policy =
      failure.nonRetryable && policies.metricsUnavailable === 'inconclusive'
        ? 'rollback'
        : policies.metricsUnavailable;
    if (policy === 'rollback') {
      return {
        kind: 'rollback',
        action: DECISION_ACTIONS.rollBackMetricsUnavailable,
        reason: `analysis at step ${step.index} could not get metrics: ${failure.message}`,
      };
    }
    if (policy === 'hold') {
      return {
        kind: 'hold',
        action: DECISION_ACTIONS.holdMetricsUnavailable,
        reason: `metrics unavailable at step ${step.index}: ${failure.message}`,
      };
    }
  }
  switch (look.verdict) {
    case 'pass':
      return {
        kind: 'next',
        action:
          step.index < plan.steps.length ? DECISION_ACTIONS.nextStep : DECISION_ACTIONS.promote,
      };
    case 'fail':
      return {
        kind: 'rollback',
        action: DECISION_ACTIONS.rollBack,
        reason: `analysis failed at step ${step.index}: ${look.explanation}`,
      };
    case 'inconclusive': {
      if (context.extensionsUsed < plan.maxExtensions) {
        const windowMs = plan.extendByMs ?? step.observeMs;
        return {
          kind: 'extend',
          action: extendAction(windowMs, context.extensionsUsed + 1, plan.maxExtensions),
          windowMs,
        };
      }
      if (policies.inconclusive.then === 'rollback') {
        return {
          kind: 'rollback',
          action: DECISION_ACTIONS.rollBackInconclusive,
          reason: `analysis stayed inconclusive at step ${step.index} after ${plan.maxExtensions} extensions: ${look.explanation}`,
        };
      }
      return {
        kind: 'hold',
        action: DECISION_ACTIONS.holdInconclusive,
        reason: `analysis inconclusive at step ${step.index}: ${look.explanation}`,
      };
    }
  }
}

/** The decision recorded for a look that could not get metrics: inconclusive, saying why. */
export function metricsUnavailableDecision(
  failure: { message: string; nonRetryable: boolean },
  look: number,
  plannedLooks: number,
): Decision {
  return {
    verdict: 'inconclusive',
    look,
    plannedLooks,
    decidedBy: failure.nonRetryable ? 'error:metricsQuery' : 'error:metricsUnavailable',
    explanation: `metrics unavailable: ${failure.message}`,
  };
}

/** What describeDecision needs of a decision record (workflows/messages.ts's AnalysisRecord). */
export interface DecisionLine {
  step: number;
  look: number;
  action: string;
  decision: { verdict: string; explanation: string };
}

/** The decision as one line: "step 2 look 3: fail — error rate 5.0% vs 1.0% … → roll back". */
export function describeDecision(record: DecisionLine): string {
  return `step ${record.step} look ${record.look}: ${record.decision.verdict} — ${record.decision.explanation} → ${record.action}`;
}
