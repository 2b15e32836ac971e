/**
 * How much of a bucket series has data: "no data" is an explicit result, not an error and never
 * zeros. The caller of the judge turns `noData` into an inconclusive verdict (or applies the
 * release's metricsUnavailable policy) and records `missing` with the decision. Pure.
 */
import type { BucketSeries } from '../types.js';

export interface BucketCoverage {
  /** Buckets in the series. */
  buckets: number;
  /** Buckets with data for both arms: the only ones a comparison can use. */
  both: number;
  canaryOnly: number;
  baselineOnly: number;
  neither: number;
  /** Buckets that cannot be compared (buckets - both). */
  missing: number;
  /** True when no bucket has data for both arms. */
  noData: boolean;
}

/** Counts the buckets that have data in both arms, in one arm only, and in neither. */
export function bucketCoverage(series: BucketSeries): BucketCoverage {
  let both = 0;
  let canaryOnly = 0;
  let baselineOnly = 0;
  let neither = 0;
  series.timestamps.forEach((_end, i) => {
    const canary = series.canary[i] ?? null;
    const baseline = series.baseline[i] ?? null;
    if (canary && baseline) both += 1;
    else if (canary) canaryOnly += 1;
    else if (baseline) baselineOnly += 1;
    else neither += 1;
  });
  const buckets = series.timestamps.length;
  return {
    buckets,
    both,
    canaryOnly,
    baselineOnly,
    neither,
    missing: buckets - both,
    noData: both === 0,
  };
}

/** One line for people: "no bucket has data for both arms (canary 0/5, baseline 5/5)". */
export function describeCoverage(coverage: BucketCoverage): string {
  const canary = coverage.both + coverage.canaryOnly;
  const baseline = coverage.both + coverage.baselineOnly;
  const arms = `canary ${canary}/${coverage.buckets}, baseline ${baseline}/${coverage.buckets}`;
  if (coverage.buckets === 0) return 'no whole bucket in the window';
  if (coverage.noData) return `no bucket has data for both arms (${arms})`;
  return `${coverage.both} of ${coverage.buckets} buckets have data for both arms (${arms})`;
}
