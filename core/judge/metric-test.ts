/**
 * One metric at one look: its samples, its practical margin, its test (a paired t-test on the
 * per-bucket differences of aligned buckets, Welch's t-test on per-bucket values when the arms are
 * not aligned, or the count test for sparse errors) and its gates. Holm's levels are applied
 * afterwards across metrics, in index.ts.
 */
import { pairedT, type PairedResult } from '../stats/paired.js';
import { sampleMoments, welch, type WelchResult } from '../stats/welch.js';
import type { BucketCounts } from '../types.js';
import type { JudgeConfig } from './config.js';
import { countTest } from './count-test.js';
import type { ArmSummary, MetricId, MetricRecord } from './decision.js';
import { evaluateGates } from './gates.js';
import { armTotals, metricSamples, pairedDifferences, type ArmTotals } from './metrics.js';

/** A metric record before Holm: everything but the level and the significance. */
export type TestedMetric = Omit<MetricRecord, 'alphaThreshold' | 'significant'>;

/** JSON-safe number: NaN and ±Infinity become null. */
export const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The practical margin in the metric's units, given the baseline's mean. */
export function practicalMargin(
  metric: MetricId,
  baselineMean: number,
  config: JudgeConfig,
): number {
  switch (metric) {
    case 'errorRate':
      return Math.max(
        config.errorRate.relativeMargin * baselineMean,
        config.errorRate.absoluteMargin,
      );
    case 'latencyMean':
      return Math.max(
        config.latencyMean.relativeMargin * baselineMean,
        config.latencyMean.absoluteMarginMs,
      );
    case 'latencyQuantile':
      return Math.max(
        config.latencyQuantile.relativeMargin * baselineMean,
        config.latencyQuantile.absoluteMarginMs,
      );
  }
}

function armSummary(
  metric: MetricId,
  values: readonly number[],
  mean: number,
  variance: number,
  totals: ArmTotals,
): ArmSummary {
  const summary: ArmSummary = {
    buckets: values.length,
    mean: finiteOrNull(mean),
    variance: finiteOrNull(variance),
  };
  if (metric === 'errorRate')
    return { ...summary, requests: totals.requests, errors: totals.errors };
  return { ...summary, latencyCount: totals.latencyCount };
}

/** Whether the error rate is compared by counts: configured, or `auto` with sparse errors. */
function usesCountTest(
  config: JudgeConfig,
  canary: ArmTotals,
  baseline: ArmTotals,
  canaryBuckets: number,
  baselineBuckets: number,
): boolean {
  if (config.errorRate.test !== 'auto') return config.errorRate.test === 'count';
  const threshold = config.errorRate.countTestBelowErrorsPerBucket;
  const perBucket = (errors: number, buckets: number) => (buckets > 0 ? errors / buckets : 0);
  return (
    perBucket(canary.errors, canaryBuckets) < threshold ||
    perBucket(baseline.errors, baselineBuckets) < threshold
  );
}

function tFields(
  w: WelchResult | PairedResult,
): Pick<TestedMetric, 't' | 'df' | 'p' | 'degenerate'> {
  return {
    t: finiteOrNull(w.t),
    df: finiteOrNull(w.df),
    p: finiteOrNull(w.pGreater),
    degenerate: w.degenerate ?? null,
  };
}

/**
 * The t-test of a per-bucket metric: paired when the buckets are aligned and pairing is on,
 * otherwise Welch's on the per-bucket values. `margin` must be finite.
 */
function tTest(
  metric: MetricId,
  buckets: { canary: readonly BucketCounts[]; baseline: readonly BucketCounts[] },
  values: { canary: readonly number[]; baseline: readonly number[] },
  margin: number,
  config: JudgeConfig,
): Pick<TestedMetric, 'test' | 't' | 'df' | 'p' | 'degenerate'> {
  const differences = config.pairedBuckets
    ? pairedDifferences(metric, buckets.canary, buckets.baseline)
    : null;
  const result =
    differences === null
      ? welch(values.canary, values.baseline, { margin })
      : pairedT(differences, margin);
  const test =
    result.degenerate === 'too-few-samples' || result.degenerate === 'non-finite'
      ? 'none'
      : differences === null
        ? 'welch'
        : 'paired';
  return { test, ...tFields(result) };
}

/** Evaluate one metric on all buckets observed so far. */
export function testMetric(
  metric: MetricId,
  buckets: { canary: readonly BucketCounts[]; baseline: readonly BucketCounts[] },
  config: JudgeConfig,
): TestedMetric {
  const canaryValues = metricSamples(metric, buckets.canary);
  const baselineValues = metricSamples(metric, buckets.baseline);
  const canaryTotals = armTotals(buckets.canary);
  const baselineTotals = armTotals(buckets.baseline);
  const canaryStats = sampleMoments(canaryValues);
  const baselineStats = sampleMoments(baselineValues);
  const margin = practicalMargin(metric, baselineStats.mean, config);
  // Without a baseline mean there is no margin to test against: the tests then use 0.
  const testMargin = Number.isFinite(margin) ? margin : 0;

  let fields: Pick<TestedMetric, 'test' | 't' | 'df' | 'p' | 'degenerate' | 'count'>;
  if (
    metric === 'errorRate' &&
    usesCountTest(config, canaryTotals, baselineTotals, canaryValues.length, baselineValues.length)
  ) {
    const c = countTest(canaryTotals, baselineTotals, {
      relative: config.errorRate.relativeMargin,
      absolute: config.errorRate.absoluteMargin,
    });
    fields = {
      test: c.degenerate ? 'none' : 'count',
      t: null,
      df: null,
      p: finiteOrNull(c.p),
      degenerate: c.degenerate ?? null,
      count: {
        canaryErrors: c.canaryErrors,
        totalErrors: c.totalErrors,
        canaryRequestShare: finiteOrNull(c.canaryRequestShare),
        marginRatio: finiteOrNull(c.marginRatio),
        nullShare: finiteOrNull(c.nullShare),
      },
    };
  } else {
    fields = tTest(
      metric,
      buckets,
      { canary: canaryValues, baseline: baselineValues },
      testMargin,
      config,
    );
  }

  const baselineErrorRate =
    baselineTotals.requests > 0 ? baselineTotals.errors / baselineTotals.requests : null;
  const gates = evaluateGates(
    {
      metric,
      canaryBuckets: canaryValues.length,
      baselineBuckets: baselineValues.length,
      canary: canaryTotals,
      baseline: baselineTotals,
      errorRateMargin:
        metric === 'errorRate' && baselineErrorRate !== null
          ? practicalMargin('errorRate', baselineErrorRate, config)
          : null,
      baselineErrorRate,
    },
    config.gates,
  );
  // Field order is the reading order of the record: what was compared, then the test, then gates.
  const { test, ...statistics } = fields;
  return {
    metric,
    test,
    canary: armSummary(metric, canaryValues, canaryStats.mean, canaryStats.variance, canaryTotals),
    baseline: armSummary(
      metric,
      baselineValues,
      baselineStats.mean,
      baselineStats.variance,
      baselineTotals,
    ),
    margin: finiteOrNull(margin),
    effect: finiteOrNull(canaryStats.mean - baselineStats.mean),
    ...statistics,
    gates,
    sufficient: gates.every((g) => g.met),
  };
}
