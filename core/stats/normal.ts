/**
 * The standard normal distribution: density, both tails and the quantile, in double precision.
 * Pure and deterministic, for the group-sequential boundaries (core/stats/group-sequential.ts).
 *
 * Tails use Hart's rational approximation as given by West (2005), "Better approximations to
 * cumulative normal functions" (algorithm 5666: absolute error below 1e-14, and the tail is
 * computed directly, so P(Z > 8) ≈ 6.2e-16 keeps its relative precision). The quantile starts
 * from Acklam's approximation (relative error 1.15e-9) and is polished with two Halley steps.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** φ(x) = exp(−x²/2) / √(2π). */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/** P(Z > |x|) for x of either sign: the tail beyond |x|. */
function absoluteTail(x: number): number {
  const a = Math.abs(x);
  if (a > 37.5) return 0;
  const e = Math.exp(-0.5 * a * a);
  if (a < 7.07106781186547) {
    let n = 3.52624965998911e-2 * a + 0.700383064443688;
    n = n * a + 6.37396220353165;
    n = n * a + 33.912866078383;
    n = n * a + 112.079291497871;
    n = n * a + 221.213596169931;
    n = n * a + 220.206867912376;
    let d = 8.83883476483184e-2 * a + 1.75566716318264;
    d = d * a + 16.064177579207;
    d = d * a + 86.7807322029461;
    d = d * a + 296.564248779674;
    d = d * a + 637.333633378831;
    d = d * a + 793.826512519948;
    d = d * a + 440.413735824752;
    return (e * n) / d;
  }
  const fraction = a + 1 / (a + 2 / (a + 3 / (a + 4 / (a + 0.65))));
  return e / fraction / SQRT_2PI;
}

/** P(Z > x). */
export function normalUpperTail(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  return x >= 0 ? absoluteTail(x) : 1 - absoluteTail(x);
}

/** Φ(x) = P(Z ≤ x). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  return x <= 0 ? absoluteTail(x) : 1 - absoluteTail(x);
}

const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
  -3.066479806614716e1, 2.506628277459239,
];
const B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
  -1.328068155288572e1,
];
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

const poly = (c: readonly number[], x: number): number =>
  c.reduce((acc, coefficient) => acc * x + coefficient, 0);

/** Acklam's approximation to the lower-tail quantile. */
function acklam(p: number): number {
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(C, q) / (poly(D, q) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log1p(-p));
    return -poly(C, q) / (poly(D, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(A, r) * q) / (poly(B, r) * r + 1);
}

/**
 * The z with P(Z > z) = `upper`, for upper ∈ (0, 1); ±Infinity at 0 and 1. Working from the upper
 * tail keeps small levels (1e-12) exact: normalUpperQuantile(0.025) = 1.959963984540054.
 */
export function normalUpperQuantile(upper: number): number {
  if (!(upper >= 0 && upper <= 1))
    throw new RangeError(`normalUpperQuantile: probability must be in [0, 1], got ${upper}`);
  if (upper === 0) return Number.POSITIVE_INFINITY;
  if (upper === 1) return Number.NEGATIVE_INFINITY;
  let z = -acklam(upper);
  for (let i = 0; i < 2; i++) {
    // Halley's method on f(z) = P(Z > z) − upper, f' = −φ(z), f''/f' = −z.
    const error = normalUpperTail(z) - upper;
    const step = error / normalPdf(z);
    z += step / (1 - (z * step) / 2);
  }
  return z;
}
