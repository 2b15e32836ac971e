/**
 * Welch's unequal-variances t-test, with an optional practical margin. Pure and deterministic:
 * imported by the judge, which runs in activities and is bundled into workflow code.
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import { mean, sampleVariance } from 'simple-statistics';

/**
 * Why a Welch result carries no ordinary test:
 * - `too-few-samples`: an arm has fewer than 2 values, so its variance is undefined;
 * - `non-finite`: a value (or the margin) is NaN or ±Infinity;
 * - `zero-variance`: both arms are constant, so the standard error is 0 and the data are exact.
 */
export type WelchDegenerate = 'too-few-samples' | 'non-finite' | 'zero-variance';

/**
 * One Welch comparison of canary against baseline. The statistic tests the shifted difference
 * `meanCanary - meanBaseline - margin`, so `pGreater` is the p-value of H1: canary − baseline > margin.
 *
 * Degenerate inputs (see `degenerate`) give definite, documented values instead of throwing:
 * - `too-few-samples` and `non-finite`: every statistic and p-value is NaN ("no test was possible");
 *   the means and variances are still reported where they are defined.
 * - `zero-variance` (both arms constant): `df` is NaN; with d = meanCanary − meanBaseline − margin,
 *   d > 0 gives t = +Infinity, pGreater = 0, pLess = 1, pTwoSided = 0; d < 0 the mirror image;
 *   d = 0 gives t = 0, pGreater = pLess = 0.5, pTwoSided = 1 (as t = 0 does for any df).
 * One constant arm is not degenerate: the other arm's variance carries the test, and
 * df = n − 1 of that arm, exactly as scipy computes it.
 */
export interface WelchResult {
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  pTwoSided: number;
  /** P(T ≥ t): evidence that canary − baseline exceeds the margin. */
  pGreater: number;
  /** P(T ≤ t): evidence that canary − baseline is below the margin. */
  pLess: number;
  meanCanary: number;
  meanBaseline: number;
  /** Sample variances (n − 1 denominator). */
  varianceCanary: number;
  varianceBaseline: number;
  nCanary: number;
  nBaseline: number;
  margin: number;
  /** sqrt(varianceCanary / nCanary + varianceBaseline / nBaseline). */
  standardError: number;
  /** Set only when the input is degenerate. */
  degenerate?: WelchDegenerate;
}

/** Options of {@link welch}. */
export interface WelchOptions {
  /** Practical margin δ, in the metric's units: H1 is canary − baseline > δ. Default 0. */
  margin?: number;
}

/** Whether every value is a finite number. */
export const allFinite = (values: readonly number[]): boolean =>
  values.every((v) => Number.isFinite(v));

/** Mean and sample variance, NaN where undefined (variance needs two values). */
export function sampleMoments(values: readonly number[]): { mean: number; variance: number } {
  if (values.length === 0) return { mean: Number.NaN, variance: Number.NaN };
  const m = mean(values as number[]);
  return { mean: m, variance: values.length < 2 ? Number.NaN : sampleVariance(values as number[]) };
}

/**
 * P-values of a t statistic with `df` degrees of freedom. Both tails come from the CDF directly
 * (P(T > t) = cdf(−t) by symmetry), never as `1 − cdf`, so tiny p-values keep their precision.
 */
export function tPValues(
  t: number,
  df: number,
): { pTwoSided: number; pGreater: number; pLess: number } {
  const pGreater = tCdf(-t, df);
  const pLess = tCdf(t, df);
  return { pGreater, pLess, pTwoSided: Math.min(1, 2 * Math.min(pGreater, pLess)) };
}

/** The statistics of a t-test that could not run: every one NaN. */
export const NO_TEST = Object.freeze({
  t: Number.NaN,
  df: Number.NaN,
  pTwoSided: Number.NaN,
  pGreater: Number.NaN,
  pLess: Number.NaN,
  standardError: Number.NaN,
});

/**
 * The statistics of a t-test whose standard error is 0, so the data are exact: with
 * d = difference − margin, d > 0 gives t = +Infinity, pGreater = 0, pLess = 1, pTwoSided = 0;
 * d < 0 the mirror image; d = 0 gives t = 0, pGreater = pLess = 0.5, pTwoSided = 1.
 */
export function exactTest(diff: number, df: number) {
  const sign = Math.sign(diff);
  return {
    t: sign === 0 ? 0 : sign * Number.POSITIVE_INFINITY,
    df,
    pGreater: sign > 0 ? 0 : sign < 0 ? 1 : 0.5,
    pLess: sign < 0 ? 0 : sign > 0 ? 1 : 0.5,
    pTwoSided: sign === 0 ? 1 : 0,
    standardError: 0,
    degenerate: 'zero-variance' as const,
  };
}

/**
 * Welch's t-test of `canary` against `baseline` with margin δ: t = (mean_c − mean_b − δ) / se,
 * se² = s_c²/n_c + s_b²/n_b, and Welch–Satterthwaite df. Returns a degenerate result for inputs
 * where the test is undefined (see {@link WelchResult}); never throws.
 */
export function welch(
  canary: readonly number[],
  baseline: readonly number[],
  options: WelchOptions = {},
): WelchResult {
  const margin = options.margin ?? 0;
  const c = sampleMoments(canary);
  const b = sampleMoments(baseline);
  const base = {
    meanCanary: c.mean,
    meanBaseline: b.mean,
    varianceCanary: c.variance,
    varianceBaseline: b.variance,
    nCanary: canary.length,
    nBaseline: baseline.length,
    margin,
  };
  if (!allFinite(canary) || !allFinite(baseline) || !Number.isFinite(margin)) {
    return { ...base, ...NO_TEST, degenerate: 'non-finite' };
  }
  if (canary.length < 2 || baseline.length < 2) {
    return { ...base, ...NO_TEST, degenerate: 'too-few-samples' };
  }
  const a = c.variance / canary.length;
  const bb = b.variance / baseline.length;
  const diff = c.mean - b.mean - margin;
  if (a === 0 && bb === 0) return { ...base, ...exactTest(diff, Number.NaN) };
  const se2 = a + bb;
  const t = diff / Math.sqrt(se2);
  const df = (se2 * se2) / ((a * a) / (canary.length - 1) + (bb * bb) / (baseline.length - 1));
  return { ...base, t, df, standardError: Math.sqrt(se2), ...tPValues(t, df) };
}
