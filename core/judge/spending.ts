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
import type { JudgeConfig } from './config.js';

/** The spending functions of the judge's configuration (`spending`). */
export type SpendingFunction = JudgeConfig['spending'];
/** How a look's alpha becomes a nominal level (`boundaries` in the judge's configuration). */
export type BoundaryMethod = JudgeConfig['boundaries'];

/**
 * Fraction of alpha spent by information fraction t ∈ [0, 1].
 * - `pocock`: Lan–DeMets Pocock-type ln(1 + (e − 1)·t), front-loaded;
 * - `linear`: t;
 * - `obrien-fleming`: Lan–DeMets O'Brien–Fleming-type 2·(1 − Φ(z_{α/2}/√t)) / α, which keeps
 *   almost all of alpha for the last looks (it depends on alpha itself);
 * - `hsd`: Hwang–Shih–DeCani (1 − e^{−γt}) / (1 − e^{−γ}); γ = 1 is close to Pocock-type,
 *   γ = −4 close to O'Brien–Fleming-type, γ → 0 is linear.
 */
export function spendingFraction(
  spending: SpendingFunction,
  t: number,
  alpha: number,
  gamma: number,
): number {
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

/**
 * The look and the spending settings of the judge's configuration (see core/judge/config.ts for
 * their meaning and defaults): `spendingGamma` is γ of the `hsd` family, and the boundaries assume
 * information fractions (k/K)^p at look k with p = `informationExponent`.
 */
export interface LookAlphaInput extends Pick<
  JudgeConfig,
  'alpha' | 'spending' | 'spendingGamma' | 'extraLooksShare' | 'boundaries' | 'informationExponent'
> {
  look: number;
  plannedLooks: number;
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
  if (!Number.isInteger(look) || look < 1)
    throw new RangeError(`lookAlpha: look must be an integer ≥ 1, got ${look}`);
  if (!Number.isInteger(plannedLooks) || plannedLooks < 1) {
    throw new RangeError(`lookAlpha: plannedLooks must be an integer ≥ 1, got ${plannedLooks}`);
  }
}

/** Boundaries are pure functions of their inputs, and a release asks for the same few many times. */
const boundaryCache = new Map<string, number[]>();
const CACHE_LIMIT = 256;

/** Nominal levels of the planned looks for a hypothesis holding `alpha` of the planned alpha. */
function groupSequentialNominal(
  alpha: number,
  plannedLooks: number,
  spending: SpendingFunction,
  gamma: number,
  exponent: number,
): number[] {
  const key = `${alpha}|${plannedLooks}|${spending}|${gamma}|${exponent}`;
  const cached = boundaryCache.get(key);
  if (cached) return cached;
  const calendar = Array.from({ length: plannedLooks }, (_, k) => (k + 1) / plannedLooks);
  const cumulative = calendar.map((t) => alpha * spendingFraction(spending, t, alpha, gamma));
  const { nominal } = spendingBoundaries(
    calendar.map((t) => t ** exponent),
    cumulative,
  );
  if (boundaryCache.size >= CACHE_LIMIT) boundaryCache.clear();
  boundaryCache.set(key, nominal);
  return nominal;
}

/**
 * Where a look stands, for a hypothesis that holds alpha/`divisor`: the planned share and the
 * reserve, then either the spending fractions through this planned look and the one before, or
 * how many looks beyond the planned ones it is.
 */
type LookShares = { planned: number; reserve: number } & (
  | { beyondPlan: false; fractionThrough: number; fractionBefore: number }
  | { beyondPlan: true; extra: number }
);

function lookShares(input: LookAlphaInput, divisor: number): LookShares {
  const { alpha, look, plannedLooks, spending, spendingGamma, extraLooksShare } = input;
  checkLooks(look, plannedLooks);
  const planned = (alpha * (1 - extraLooksShare)) / divisor;
  const reserve = (alpha * extraLooksShare) / divisor;
  if (look > plannedLooks)
    return { planned, reserve, beyondPlan: true, extra: look - plannedLooks };
  const f = (t: number) => spendingFraction(spending, t, planned, spendingGamma);
  return {
    planned,
    reserve,
    beyondPlan: false,
    fractionThrough: f(look / plannedLooks),
    fractionBefore: f((look - 1) / plannedLooks),
  };
}

function nominalOf(input: LookAlphaInput, shares: LookShares): number {
  if (shares.beyondPlan) return shares.reserve * 2 ** -shares.extra;
  if (input.boundaries === 'union')
    return shares.planned * (shares.fractionThrough - shares.fractionBefore);
  const nominal = groupSequentialNominal(
    shares.planned,
    input.plannedLooks,
    input.spending,
    input.spendingGamma,
    input.informationExponent,
  );
  return nominal[input.look - 1] as number;
}

/**
 * The nominal level at this look for a hypothesis that holds alpha/`divisor` of the release's
 * alpha (Holm's rank r of m metrics holds alpha/(m − r)).
 */
export function nominalLevel(input: LookAlphaInput, divisor: number): number {
  return nominalOf(input, lookShares(input, divisor));
}

/** The alpha of one look, what the release has spent through it, and its nominal level. */
export function lookAlpha(input: LookAlphaInput): LookAlpha {
  const shares = lookShares(input, 1);
  const nominal = nominalOf(input, shares);
  const { planned, reserve } = shares;
  if (!shares.beyondPlan) {
    const through = planned * shares.fractionThrough;
    const before = planned * shares.fractionBefore;
    return { look: through - before, spentThrough: through, nominal };
  }
  return {
    look: reserve * 2 ** -shares.extra,
    spentThrough: planned + reserve * (1 - 2 ** -shares.extra),
    nominal,
  };
}
