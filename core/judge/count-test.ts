/**
 * The test on error counts for low volume, where per-bucket error rates are mostly 0 or 1/n and a
 * t-test on them has no power: an exact conditional binomial test.
 *
 * If canary and baseline errors are Poisson with rates λ_c·n_c and λ_b·n_b (n = requests), then
 * given the total E = e_c + e_b, e_c ~ Binomial(E, p), p = n_c·λ_c / (n_c·λ_c + n_b·λ_b). At the
 * H0 boundary λ_c = ρ·λ_b, with ρ = 1 + margin, p0 = n_c·ρ / (n_c·ρ + n_b), and the one-sided
 * p-value is P(X ≥ e_c | E, p0), an exact binomial tail (core/stats/binomial.ts).
 *
 * The margin is relative, with an absolute floor: λ_c ≤ λ_b + max(rel·λ_b, abs). A ratio cannot
 * express the floor exactly, so it is converted with the pooled error rate r = E / (n_c + n_b):
 * ρ = 1 + max(rel, abs / r). Conditioning on E makes the test immune to incidents that raise both
 * arms' error rates by the same factor; it assumes the canary's share of requests does not change
 * in step with such incidents, and that errors are not overdispersed within an arm (which is why
 * `auto` switches to Welch on rates once errors are plentiful).
 *
 * Counts from Prometheus `increase()` may be fractional (extrapolation); they are rounded to the
 * nearest integer for the test.
 */
import { binomialUpperTail } from '../stats/binomial.js';
import type { ArmTotals } from './metrics.js';

export interface CountTestMargin {
  relative: number;
  absolute: number;
}

export interface CountTestResult {
  /** One-sided p-value, or NaN when the test is not possible (see `degenerate`). */
  p: number;
  canaryErrors: number;
  totalErrors: number;
  canaryRequestShare: number;
  marginRatio: number;
  nullShare: number;
  /** `no-errors`: neither arm had an error; `no-requests`: an arm had no requests. */
  degenerate?: 'no-errors' | 'no-requests';
}

export function countTest(
  canary: ArmTotals,
  baseline: ArmTotals,
  margin: CountTestMargin,
): CountTestResult {
  const canaryErrors = Math.round(canary.errors);
  const totalErrors = canaryErrors + Math.round(baseline.errors);
  const totalRequests = canary.requests + baseline.requests;
  const canaryRequestShare = totalRequests > 0 ? canary.requests / totalRequests : Number.NaN;
  if (canary.requests <= 0 || baseline.requests <= 0) {
    return {
      p: Number.NaN,
      canaryErrors,
      totalErrors,
      canaryRequestShare,
      marginRatio: Number.NaN,
      nullShare: Number.NaN,
      degenerate: 'no-requests',
    };
  }
  if (totalErrors === 0) {
    return {
      p: Number.NaN,
      canaryErrors,
      totalErrors,
      canaryRequestShare,
      marginRatio: Number.NaN,
      nullShare: Number.NaN,
      degenerate: 'no-errors',
    };
  }
  const pooledRate = totalErrors / totalRequests;
  const marginRatio = 1 + Math.max(margin.relative, margin.absolute / pooledRate);
  const weighted = canary.requests * marginRatio;
  const nullShare = weighted / (weighted + baseline.requests);
  const p = binomialUpperTail(canaryErrors, totalErrors, nullShare);
  return { p, canaryErrors, totalErrors, canaryRequestShare, marginRatio, nullShare };
}
