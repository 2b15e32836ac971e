/**
 * Exact binomial tails in log space, for the judge's test on error counts. Pure and deterministic.
 *
 * Tails are sums of probability-mass terms computed with a ratio recurrence in log space and added
 * with log-sum-exp around the largest term, so tails as small as 1e-300 keep full relative
 * precision and nothing overflows for trial counts in the millions.
 */
import { gammaln } from 'simple-statistics';

/** log P(X = k) for X ~ Binomial(n, p); -Infinity outside the support. */
export function binomialLogPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n) return Number.NEGATIVE_INFINITY;
  if (p === 0) return k === 0 ? 0 : Number.NEGATIVE_INFINITY;
  if (p === 1) return k === n ? 0 : Number.NEGATIVE_INFINITY;
  const logChoose = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);
  return logChoose + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

/** Terms below the running maximum by this much in log space (e^-40 ≈ 4e-18) no longer matter. */
const NEGLIGIBLE_LOG = -40;

/**
 * log of Σ pmf(j) for j from `from` stepping by `step` (+1 or −1) to the end of the support.
 * Terms follow the recurrence pmf(j+1)/pmf(j) = (n−j)/(j+1) · p/(1−p); the sum stops once the
 * terms are decreasing and negligible against the largest term seen.
 */
function logTailSum(from: number, n: number, p: number, step: 1 | -1): number {
  const logOdds = Math.log(p) - Math.log1p(-p);
  let logTerm = binomialLogPmf(from, n, p);
  let logMax = logTerm;
  let scaledSum = 1; // Σ exp(logTerm − logMax)
  let j = from;
  while (true) {
    const next = j + step;
    if (next < 0 || next > n) break;
    const ratio =
      step === 1
        ? Math.log(n - j) - Math.log(j + 1) + logOdds
        : Math.log(j) - Math.log(n - j + 1) - logOdds;
    const nextTerm = logTerm + ratio;
    if (nextTerm > logMax) {
      scaledSum = scaledSum * Math.exp(logMax - nextTerm) + 1;
      logMax = nextTerm;
    } else {
      scaledSum += Math.exp(nextTerm - logMax);
      if (ratio < 0 && nextTerm - logMax < NEGLIGIBLE_LOG) break;
    }
    logTerm = nextTerm;
    j = next;
  }
  return logMax + Math.log(scaledSum);
}

function checkArguments(k: number, n: number, p: number, where: string): void {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`${where}: trials must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(k))
    throw new RangeError(`${where}: successes must be an integer, got ${k}`);
  if (!(p >= 0 && p <= 1))
    throw new RangeError(`${where}: probability must be in [0, 1], got ${p}`);
}

/** P(X ≥ k) for X ~ Binomial(n, p), exact, with full relative precision in the far tail. */
export function binomialUpperTail(k: number, n: number, p: number): number {
  checkArguments(k, n, p, 'binomialUpperTail');
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p === 0) return 0;
  if (p === 1) return 1;
  return Math.min(1, Math.exp(logTailSum(k, n, p, 1)));
}

/** P(X ≤ k) for X ~ Binomial(n, p), exact, with full relative precision in the far tail. */
export function binomialLowerTail(k: number, n: number, p: number): number {
  checkArguments(k, n, p, 'binomialLowerTail');
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p === 0) return 1;
  if (p === 1) return 0;
  return Math.min(1, Math.exp(logTailSum(k, n, p, -1)));
}

/**
 * One-sided Clopper–Pearson upper confidence bound for a binomial proportion: the largest p with
 * P(X ≤ successes | trials, p) ≥ 1 − confidence. Found by bisection to 1e-12 absolute.
 * Example: 0 errors in 1000 requests at 95% gives ≈ 0.0030 (the "rule of three").
 */
export function clopperPearsonUpper(successes: number, trials: number, confidence: number): number {
  checkArguments(successes, trials, 0.5, 'clopperPearsonUpper');
  if (!(confidence > 0 && confidence < 1))
    throw new RangeError(`clopperPearsonUpper: confidence must be in (0, 1), got ${confidence}`);
  if (successes >= trials) return 1;
  const tail = 1 - confidence;
  let lo = successes / trials;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (binomialLowerTail(successes, trials, mid) > tail) lo = mid;
    else hi = mid;
  }
  return hi;
}
