/**
 * The policy after an analysis look (core/policy.ts), branch by branch: what the release does for
 * each verdict, extensions used and policy, and how the decision line and actions read.
 */
import { describe, expect, it } from 'vitest';
import {
  DECISION_ACTIONS,
  describeDecision,
  metricsUnavailableDecision,
  nextMove,
  type PolicyContext,
} from '../../core/policy.js';

/** Step 1 of 2 (1 minute windows), two extensions allowed, default policies. */
function context(
  overrides: Partial<PolicyContext> & {
    then?: 'hold' | 'rollback';
    metricsUnavailable?: 'inconclusive' | 'hold' | 'rollback';
  } = {},
): PolicyContext {
  const { then = 'rollback', metricsUnavailable = 'inconclusive', ...rest } = overrides;
  return {
    step: { index: 1, observeMs: 60_000 },
    plan: {
      steps: [
        { index: 1, weight: 10, observeMs: 60_000, approval: false },
        { index: 2, weight: 50, observeMs: 60_000, approval: false },
      ],
      maxExtensions: 2,
      extendByMs: undefined,
    },
    extensionsUsed: 0,
    policies: { metricsUnavailable, inconclusive: { maxExtensions: 2, then } },
    ...rest,
  };
}

const pass = { verdict: 'pass', explanation: 'all metrics within margins' } as const;
const fail = {
  verdict: 'fail',
  explanation: 'error rate 5.0% vs 1.0% baseline: roll back',
} as const;
const inconclusive = { verdict: 'inconclusive', explanation: 'not enough data yet' } as const;
const unavailable = (nonRetryable: boolean) =>
  ({
    verdict: 'inconclusive',
    explanation: 'metrics unavailable: down',
    metricsFailure: { message: 'prometheus is down', nonRetryable },
  }) as const;

describe('the move after a passing look', () => {
  it('goes on to the next step when steps remain', () => {
    expect(nextMove(pass, context())).toEqual({ kind: 'next', action: 'next step' });
  });

  it('goes on to promotion after the last step', () => {
    expect(nextMove(pass, context({ step: { index: 2, observeMs: 60_000 } }))).toEqual({
      kind: 'next',
      action: 'promote',
    });
  });
});

describe('the move after a failing look', () => {
  it("rolls back at once, whatever extensions are left, with the judge's explanation as the reason", () => {
    expect(nextMove(fail, context())).toEqual({
      kind: 'rollback',
      action: 'roll back',
      reason: 'analysis failed at step 1: error rate 5.0% vs 1.0% baseline: roll back',
    });
  });
});

describe('the move after an inconclusive look', () => {
  it("extends by the step's own window when no extension length is set, counting the extension it uses", () => {
    expect(nextMove(inconclusive, context())).toEqual({
      kind: 'extend',
      action: 'extend window by 1m (1/2)',
      windowMs: 60_000,
    });
  });

  it('extends by policies.inconclusive.extendBy when it is set', () => {
    const ctx = context({ extensionsUsed: 1 });
    expect(nextMove(inconclusive, { ...ctx, plan: { ...ctx.plan, extendByMs: 30_000 } })).toEqual({
      kind: 'extend',
      action: 'extend window by 30s (2/2)',
      windowMs: 30_000,
    });
  });

  it('rolls back once every extension is used when the policy says rollback', () => {
    expect(nextMove(inconclusive, context({ extensionsUsed: 2 }))).toEqual({
      kind: 'rollback',
      action: 'roll back (inconclusive after every extension)',
      reason: 'analysis stayed inconclusive at step 1 after 2 extensions: not enough data yet',
    });
  });

  it('holds for a person once every extension is used when the policy says hold', () => {
    expect(nextMove(inconclusive, context({ extensionsUsed: 2, then: 'hold' }))).toEqual({
      kind: 'hold',
      action: 'hold for a person (inconclusive after every extension)',
      reason: 'analysis inconclusive at step 1: not enough data yet',
    });
  });

  it('never extends when no extensions are allowed', () => {
    const ctx = context();
    expect(nextMove(inconclusive, { ...ctx, plan: { ...ctx.plan, maxExtensions: 0 } }).kind).toBe(
      'rollback',
    );
  });
});

describe('the move after a look that could not get metrics', () => {
  it('rolls back at once when policies.metricsUnavailable is rollback', () => {
    expect(nextMove(unavailable(false), context({ metricsUnavailable: 'rollback' }))).toEqual({
      kind: 'rollback',
      action: 'roll back (metrics unavailable)',
      reason: 'analysis at step 1 could not get metrics: prometheus is down',
    });
  });

  it('holds for a person when policies.metricsUnavailable is hold, even if extensions are left', () => {
    expect(nextMove(unavailable(false), context({ metricsUnavailable: 'hold' }))).toEqual({
      kind: 'hold',
      action: 'hold for a person (metrics unavailable)',
      reason: 'metrics unavailable at step 1: prometheus is down',
    });
  });

  it('treats a failure that retrying may fix as an inconclusive look when the policy is inconclusive', () => {
    expect(nextMove(unavailable(false), context())).toEqual({
      kind: 'extend',
      action: 'extend window by 1m (1/2)',
      windowMs: 60_000,
    });
  });

  it('rolls back a failure that retrying cannot fix (a bad query) even when the policy is inconclusive', () => {
    expect(nextMove(unavailable(true), context()).action).toBe('roll back (metrics unavailable)');
  });

  it('holds a failure that retrying cannot fix when the policy is hold', () => {
    expect(nextMove(unavailable(true), context({ metricsUnavailable: 'hold' })).kind).toBe('hold');
  });

  it('records such a look as inconclusive, decided by the kind of failure', () => {
    expect(metricsUnavailableDecision({ message: 'bad_data', nonRetryable: true }, 3, 5)).toEqual({
      verdict: 'inconclusive',
      look: 3,
      plannedLooks: 5,
      decidedBy: 'error:metricsQuery',
      explanation: 'metrics unavailable: bad_data',
    });
    expect(
      metricsUnavailableDecision({ message: 'refused', nonRetryable: false }, 1, 5).decidedBy,
    ).toBe('error:metricsUnavailable');
  });
});

describe('the decision vocabulary', () => {
  it('reads a decision as "step N look M: verdict — explanation → action"', () => {
    expect(
      describeDecision({
        step: 2,
        look: 3,
        action: DECISION_ACTIONS.rollBack,
        decision: { verdict: 'fail', explanation: 'error rate 5.0%' },
      }),
    ).toBe('step 2 look 3: fail — error rate 5.0% → roll back');
  });
});
