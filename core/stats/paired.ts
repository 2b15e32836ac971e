/**
 * The paired t-test with a margin, on per-bucket differences canary − baseline of aligned buckets.
 * Pure and deterministic.
 *
 * Buckets of the two arms cover the same minute, so whatever hits both arms in that minute (an
 * incident, a traffic surge, a slow dependency) moves both values and cancels in the difference.
 * Welch's test on the two samples counts that shared variation as noise twice over; the paired
 * test removes it, at the price of n − 1 instead of about 2n − 2 degrees of freedom.
 */
import {
  allFinite,
  exactTest,
  NO_TEST,
  sampleMoments,
  tPValues,
  type WelchDegenerate,
} from './welch.js';

export interface PairedResult {
  /** (mean(d) − margin) / (s_d / √n). */
  t: number;
  /** n − 1. */
  df: number;
  pTwoSided: number;
  /** P(T ≥ t): evidence that canary − baseline exceeds the margin. */
  pGreater: number;
  pLess: number;
  meanDifference: number;
  varianceDifference: number;
  pairs: number;
  margin: number;
  standardError: number;
  /** As for Welch: `too-few-samples` below 2 pairs, `non-finite`, or `zero-variance` (all d equal). */
  degenerate?: WelchDegenerate;
}

/**
 * Paired t-test of H1: mean(canary − baseline) > margin, from the differences d_i. Degenerate
 * input gives the same definite results as {@link welch}: NaN statistics without a test, and for
 * constant differences t = ±Infinity (or 0 exactly at the margin) with p = 0, 1 (or 0.5).
 */
export function pairedT(differences: readonly number[], margin = 0): PairedResult {
  const n = differences.length;
  const { mean: m, variance: v } = sampleMoments(differences);
  const base = { meanDifference: m, varianceDifference: v, pairs: n, margin };
  if (!allFinite(differences) || !Number.isFinite(margin))
    return { ...base, ...NO_TEST, degenerate: 'non-finite' };
  if (n < 2) return { ...base, ...NO_TEST, degenerate: 'too-few-samples' };
  const diff = m - margin;
  if (v === 0) return { ...base, ...exactTest(diff, n - 1) };
  const standardError = Math.sqrt(v / n);
  const t = diff / standardError;
  return { ...base, t, df: n - 1, standardError, ...tPValues(t, n - 1) };
}
