/**
 * The judge: one verdict per analysis look of a canary release. Pure and deterministic; called
 * from an activity and safe to bundle into workflow code. The method is described in docs/judge.md.
 *
 * Order of decision at a look:
 * 1. a tripped guard (canary alone over an absolute ceiling) fails at once;
 * 2. a metric significantly worse than the baseline by more than its margin fails, where
 *    "significantly" is Holm across the enabled metrics at this look's nominal levels, which come
 *    from a spending function and group-sequential boundaries so the whole release keeps its
 *    false-rollback rate;
 * 3. otherwise a metric without enough data (a gate not met) makes the look inconclusive;
 * 4. otherwise the look passes: enough data on every metric and none significantly worse.
 * A pass before the last look lets the release continue; evidence keeps accumulating, because
 * every look tests all buckets observed so far.
 */
import type { Verdict } from '../types.js';
import type { JudgeConfig } from './config.js';
import type { JudgeDecision, MetricId, MetricRecord } from './decision.js';
import { explainGate, explainGuard, explainMetricFailure, explainPass } from './explain.js';
import { evaluateGuards } from './guards.js';
import { holm } from './holm.js';
import { testMetric } from './metric-test.js';
import type { ParsedJudgeRequest } from './request.js';
import { lookAlpha, nominalLevel, type LookAlphaInput } from './spending.js';

export {
  judgeRequestSchema,
  JudgeInputError,
  parseJudgeRequest,
  requireJudgeRequest,
} from './request.js';
export type { JudgeRequest, JudgeRequestParse, ParsedJudgeRequest } from './request.js';
export type {
  JudgeDecision,
  MetricRecord,
  GuardRecord,
  GateRecord,
  AlphaRecord,
  MetricId,
} from './decision.js';
export { welch } from '../stats/welch.js';

/** Enabled metrics in their fixed order (the order of the decision record). */
export function enabledMetrics(config: JudgeConfig): MetricId[] {
  const metrics: MetricId[] = [];
  if (config.errorRate.enabled) metrics.push('errorRate');
  if (config.latencyMean.enabled) metrics.push('latencyMean');
  if (config.latencyQuantile.enabled) metrics.push('latencyQuantile');
  return metrics;
}

/**
 * Judge one look; always returns a decision. Trusts its request: input from outside is parsed at
 * the edge first (parseJudgeRequest / requireJudgeRequest in ./request.ts).
 */
export function judge(request: ParsedJudgeRequest): JudgeDecision {
  const { look, plannedLooks, buckets, config } = request;
  const spendingInput: LookAlphaInput = {
    alpha: config.alpha,
    look,
    plannedLooks,
    spending: config.spending,
    spendingGamma: config.spendingGamma,
    extraLooksShare: config.extraLooksShare,
    boundaries: config.boundaries,
    informationExponent: config.informationExponent,
  };
  const spent = lookAlpha(spendingInput);
  const alpha = {
    total: config.alpha,
    spending: config.spending,
    boundaries: config.boundaries,
    look: spent.look,
    spentThrough: spent.spentThrough,
    nominal: spent.nominal,
  };

  const guards = evaluateGuards(buckets.canary, config.guards);
  const tested = enabledMetrics(config).map((metric) => testMetric(metric, buckets, config));
  const levels = holm(
    tested.map((m) => m.p),
    (divisor) => nominalLevel(spendingInput, divisor),
  );
  const metrics: MetricRecord[] = tested.map((m, i) => {
    const level = levels[i] as { threshold: number; rejected: boolean };
    return { ...m, alphaThreshold: level.threshold, significant: level.rejected };
  });

  // Verdict first: the record is read by people, in the API and in `canary judge` output.
  const decide = (verdict: Verdict, decidedBy: string, explanation: string): JudgeDecision => ({
    verdict,
    explanation,
    decidedBy,
    look,
    plannedLooks,
    alpha,
    metrics,
    guards,
  });
  const tripped = guards.find((g) => g.tripped);
  if (tripped) return decide('fail', `guard:${tripped.guard}`, explainGuard(tripped));
  const worst = metrics.filter((m) => m.significant).sort((a, b) => (a.p ?? 1) - (b.p ?? 1))[0];
  if (worst) return decide('fail', `metric:${worst.metric}`, explainMetricFailure(worst));
  for (const metric of metrics) {
    const gate = metric.gates.find((g) => !g.met);
    if (gate) return decide('inconclusive', `gate:${gate.gate}`, explainGate(metric, gate));
  }
  return decide('pass', 'metrics', explainPass(metrics));
}
