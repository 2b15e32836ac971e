/**
 * Minimum-data gates. A metric whose gates are not all met cannot pass: the look is
 * `inconclusive` unless another metric (or this one, if its test is already significant) fails.
 * Gates never stop a significant result from failing a release: the tests keep their level at any
 * sample size, so little data can still be enough evidence of harm, never enough evidence of health.
 */
import { clopperPearsonUpper } from '../stats/binomial.js';
import type { JudgeConfig } from './config.js';
import type { GateRecord, MetricId } from './decision.js';
import type { ArmTotals } from './metrics.js';

export interface GateInput {
  metric: MetricId;
  canaryBuckets: number;
  baselineBuckets: number;
  canary: ArmTotals;
  baseline: ArmTotals;
  /** The error rate's absolute margin at this look (for the zero-errors bound), or null. */
  errorRateMargin: number | null;
  /** The baseline's error rate (errors / requests), for the zero-errors bound. */
  baselineErrorRate: number | null;
}

function atLeast(
  gate: GateRecord['gate'],
  arm: GateRecord['arm'],
  required: number,
  observed: number,
): GateRecord {
  return { gate, arm, required, observed, met: observed >= required };
}

/**
 * The minErrorEvents gate. Few errors leave the error rates uncomparable, except when the canary
 * has so many requests that even its upper confidence bound (Clopper–Pearson, one-sided) is within
 * the baseline's rate plus the margin: then "few errors" is itself the evidence of health.
 */
function errorEventsGate(input: GateInput, gates: JudgeConfig['gates']): GateRecord {
  const total = input.canary.errors + input.baseline.errors;
  const record = atLeast('minErrorEvents', 'both', gates.minErrorEvents, total);
  if (record.met || input.errorRateMargin === null || input.baselineErrorRate === null)
    return record;
  const trials = Math.round(input.canary.requests);
  if (trials < 1) return record;
  const upper = clopperPearsonUpper(
    Math.min(Math.round(input.canary.errors), trials),
    trials,
    gates.zeroErrorsConfidence,
  );
  const limit = input.baselineErrorRate + input.errorRateMargin;
  if (upper > limit) return record;
  const confidence = Math.round(gates.zeroErrorsConfidence * 100);
  return {
    ...record,
    met: true,
    note: `canary error rate ≤ ${(upper * 100).toPrecision(2)}% with ${confidence}% confidence, within the baseline's ${(limit * 100).toPrecision(2)}% including the margin`,
  };
}

/** The gates of one metric, in the order they are reported. */
export function evaluateGates(input: GateInput, gates: JudgeConfig['gates']): GateRecord[] {
  const records: GateRecord[] = [
    atLeast('minBuckets', 'canary', gates.minBuckets, input.canaryBuckets),
    atLeast('minBuckets', 'baseline', gates.minBuckets, input.baselineBuckets),
  ];
  if (input.metric === 'errorRate') {
    records.push(atLeast('minRequests', 'canary', gates.minRequests, input.canary.requests));
    records.push(atLeast('minRequests', 'baseline', gates.minRequests, input.baseline.requests));
    records.push(errorEventsGate(input, gates));
  } else {
    records.push(
      atLeast('minLatencyCount', 'canary', gates.minLatencyCount, input.canary.latencyCount),
    );
    records.push(
      atLeast('minLatencyCount', 'baseline', gates.minLatencyCount, input.baseline.latencyCount),
    );
  }
  return records;
}
