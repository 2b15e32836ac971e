/**
 * Alpha spending across the looks of one release, so that repeated looks at accumulating data
 * keep the release-wide false-rollback rate at alpha.
 *
 * A spending function f (f(0) = 0, f(1) = 1) says how much of the planned alpha may have been
 * spent by information fraction t; look k of K = plannedLooks has t = k/K and may spend
 * α_k = α·(1 − r)·(f(k/K) − f((k − 1)/K)). Two ways to turn α_k into the nominal level a p-value
 * is compared with (`boundaries`):
 * - `group-sequential` (default): the exact one-sided boundary (core/stats/group-sequential.ts)
 *   for cumulative statistics with correlation √(t_j/t_k): the chance of a first crossing at look k
 *   is exactly α_k, and because successive looks share most of their data, the nominal level is
 *   larger than α_k (K = 6, Pocock-type, 0.00475: 0.0012 at the last look instead of 0.00053).
 *   It relies on the statistics being close to normal with information growing like k/K.
 * - `union`: nominal level = α_k. By the union bound the false-rollback rate is at most Σα_k
 *   whatever the correlation, the test or the spacing of looks — conservative.
 *
 * Looks beyond plannedLooks happen when a person releases a hold. They are paid for by a reserve:
 * a share r (`extraLooksShare`) of alpha is withheld from the planned looks, and extra look K + j
 * is tested at r·α·2^−j (union bound in both modes). The total over any number of looks stays ≤ α.
 */
import { spendingBoundaries } from '../stats/group-sequential.js';
import { normalUpperQuantile, normalUpperTail } from '../stats/normal.js';

export type SpendingFunction = 'pocock' | 'linear' | 'obrien-fleming' | 'hsd';
export type BoundaryMethod = 'group-sequential' | 'union';

/**
 * Fraction of alpha spent by information fraction t ∈ [0, 1].
 * - `pocock`: Lan–DeMets Pocock-type ln(1 + (e − 1)·t), front-loaded;
 * - `linear`: t;
 * - `obrien-fleming`: Lan–DeMets O'Brien–Fleming-type 2·(1 − Φ(z_{α/2}/√t)) / α, which keeps
 *   almost all of alpha for the last looks (it depends on alpha itself);
 * - `hsd`: Hwang–Shih–DeCani (1 − e^{−γt}) / (1 − e^{−γ}); γ = 1 is close to Pocock-type,
 *   γ = −4 close to O'Brien–Fleming-type, γ → 0 is linear.
 */
export function spendingFraction(spending: SpendingFunction, t: number, alpha: number, gamma: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  switch (spending) {
    case 'pocock':
      return Math.log(1 + (Math.E - 1) * t);
    case 'linear':
      return t;
    case 'obrien-fleming':
      return (2 * normalUpperTail(normalUpperQuantile(alpha / 2) / Math.sqrt(t))) / alpha;
    case 'hsd':
      return Math.abs(gamma) < 1e-12 ? t : -Math.expm1(-gamma * t) / -Math.expm1(-gamma);
  }
}

export interface LookAlphaInput {
  alpha: number;
  look: number;
  plannedLooks: number;
  spending: SpendingFunction;
  extraLooksShare: number;
  /** γ of the `hsd` family (default −2). */
  spendingGamma?: number;
  /** Default `group-sequential`. */
  boundaries?: BoundaryMethod;
  /** The boundaries assume information fractions (k/K)^p at look k (default p = 2). */
  informationExponent?: number;
}

export interface LookAlpha {
  /** Alpha this look may spend (before Holm divides it among metrics). */
  look: number;
  /** Alpha spent by all looks up to and including this one. */
  spentThrough: number;
  /** The nominal level of a single hypothesis holding all of alpha: what its p is compared with. */
  nominal: number;
}

function checkLooks(look: number, plannedLooks: number): void {
  if (!Number.isInteger(look) || look < 1) throw new RangeError(`lookAlpha: look must be an integer ≥ 1, got ${look}`);
  if (!Number.isInteger(plannedLooks) || plannedLooks < 1) {
    throw new RangeError(`lookAlpha: plannedLooks must be an integer ≥ 1, got ${plannedLooks}`);
  }
}

/** Boundaries are pure functions of their inputs, and a release asks for the same few many times. */
const boundaryCache = new Map<string, number[]>();
const CACHE_LIMIT = 256;

/** Nominal levels of the planned looks for a hypothesis holding `alpha` of the planned alpha. */
function groupSequentialNominal(alpha: number, plannedLooks: number, spending: SpendingFunction, gamma: number, exponent: number): number[] {
  const key = `${alpha}|${plannedLooks}|${spending}|${gamma}|${exponent}`;
  const cached = boundaryCache.get(key);
  if (cached) return cached;
  const calendar = Array.from({ length: plannedLooks }, (_, k) => (k + 1) / plannedLooks);
  const cumulative = calendar.map((t) => alpha * spendingFraction(spending, t, alpha, gamma));
  const { nominal } = spendingBoundaries(calendar.map((t) => t ** exponent), cumulative);
  if (boundaryCache.size >= CACHE_LIMIT) boundaryCache.clear();
  boundaryCache.set(key, nominal);
  return nominal;
}

/**
 * The nominal level at this look for a hypothesis that holds alpha/`divisor` of the release's
 * alpha (Holm's rank r of m metrics holds alpha/(m − r)).
 */
export function nominalLevel(input: LookAlphaInput, divisor: number): number {
  const { alpha, look, plannedLooks, spending, extraLooksShare } = input;
  checkLooks(look, plannedLooks);
  const gamma = input.spendingGamma ?? -2;
  const planned = (alpha * (1 - extraLooksShare)) / divisor;
  if (look > plannedLooks) return ((alpha * extraLooksShare) / divisor) * 2 ** -(look - plannedLooks);
  if ((input.boundaries ?? 'group-sequential') === 'union') {
    const f = (t: number) => spendingFraction(spending, t, planned, gamma);
    return planned * (f(look / plannedLooks) - f((look - 1) / plannedLooks));
  }
  return groupSequentialNominal(planned, plannedLooks, spending, gamma, input.informationExponent ?? 2)[look - 1] as number;
}

/** The alpha of one look, what the release has spent through it, and its nominal level. */
export function lookAlpha(input: LookAlphaInput): LookAlpha {
  const { alpha, look, plannedLooks, spending, extraLooksShare } = input;
  checkLooks(look, plannedLooks);
  const gamma = input.spendingGamma ?? -2;
  const planned = alpha * (1 - extraLooksShare);
  const nominal = nominalLevel(input, 1);
  if (look <= plannedLooks) {
    const f = (t: number) => spendingFraction(spending, t, planned, gamma);
    const through = planned * f(look / plannedLooks);
    const before = planned * f((look - 1) / plannedLooks);
    return { look: through - before, spentThrough: through, nominal };
  }
  const extra = look - plannedLooks;
  const reserve = alpha * extraLooksShare;
  return { look: reserve * 2 ** -extra, spentThrough: planned + reserve * (1 - 2 ** -extra), nominal };
}
