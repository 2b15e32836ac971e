/**
 * From bucket counts to per-bucket samples, one value per bucket and arm. A bucket without the
 * denominator of a metric (no requests for the error rate, no observations for latency) carries
 * no value for that metric and is skipped, never counted as zero.
 */
import type { BucketCounts } from '../types.js';
import type { MetricId } from './decision.js';

/** Totals of one arm over its buckets. */
export interface ArmTotals {
  requests: number;
  errors: number;
  latencyCount: number;
  latencySumMs: number;
}

/** One bucket's value of a metric, or null when the bucket carries none. */
export function metricValue(metric: MetricId, b: BucketCounts): number | null {
  switch (metric) {
    case 'errorRate':
      return b.requests > 0 ? b.errors / b.requests : null;
    case 'latencyMean':
      return b.latencyCount > 0 ? b.latencySumMs / b.latencyCount : null;
    case 'latencyQuantile':
      return b.latencyCount > 0 && b.latencyQuantileMs !== undefined ? b.latencyQuantileMs : null;
  }
}

/** The samples of one metric for one arm: the values of the buckets that carry one, in order. */
export function metricSamples(metric: MetricId, buckets: readonly BucketCounts[]): number[] {
  const samples: number[] = [];
  for (const b of buckets) {
    const value = metricValue(metric, b);
    if (value !== null) samples.push(value);
  }
  return samples;
}

/** Error rate per bucket: errors / requests, for buckets with requests > 0. */
export const errorRateSamples = (buckets: readonly BucketCounts[]): number[] =>
  metricSamples('errorRate', buckets);

/** Mean latency per bucket in ms: latencySumMs / latencyCount, for buckets with observations. */
export const latencyMeanSamples = (buckets: readonly BucketCounts[]): number[] =>
  metricSamples('latencyMean', buckets);

/** The per-bucket latency quantile in ms, for buckets that carry one and had observations. */
export const latencyQuantileSamples = (buckets: readonly BucketCounts[]): number[] =>
  metricSamples('latencyQuantile', buckets);

/**
 * Per-bucket differences canary − baseline of aligned buckets (same index), over the buckets where
 * both arms have a value; null when the arms have different numbers of buckets (not aligned).
 */
export function pairedDifferences(
  metric: MetricId,
  canary: readonly BucketCounts[],
  baseline: readonly BucketCounts[],
): number[] | null {
  if (canary.length !== baseline.length) return null;
  const differences: number[] = [];
  canary.forEach((c, i) => {
    const x = metricValue(metric, c);
    const y = metricValue(metric, baseline[i] as BucketCounts);
    if (x !== null && y !== null) differences.push(x - y);
  });
  return differences;
}

export function armTotals(buckets: readonly BucketCounts[]): ArmTotals {
  const totals: ArmTotals = { requests: 0, errors: 0, latencyCount: 0, latencySumMs: 0 };
  for (const b of buckets) {
    totals.requests += b.requests;
    totals.errors += b.errors;
    totals.latencyCount += b.latencyCount;
    totals.latencySumMs += b.latencySumMs;
  }
  return totals;
}

/** Words for people, used in explanations. */
export const METRIC_LABELS: Record<MetricId, string> = {
  errorRate: 'error rate',
  latencyMean: 'mean latency',
  latencyQuantile: 'latency quantile',
};
