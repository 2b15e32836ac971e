/**
 * Alpha spending across the looks of one release, so that repeated looks at accumulating data
 * keep the release-wide false-rollback rate at alpha.
 *
 * Each look k is tested at the *increment* of a spending function, α_k = α·(f(k/K) − f((k−1)/K)),
 * where K = plannedLooks. By the union bound the probability of any false rollback over all looks
 * is at most Σ α_k ≤ α, whatever the correlation between looks, the test used, or when the
 * release stops. (Exact group-sequential boundaries would be slightly less conservative but rely
 * on normal independent increments, which per-bucket t-tests and count tests only approximate.)
 *
 * Looks beyond plannedLooks happen when a person releases a hold. They are paid for by a reserve:
 * a share r (`extraLooksShare`) of alpha is withheld from the planned looks, and extra look K + j
 * gets r·α·2^−j. The total over any number of looks stays below α.
 */

/** Spending functions, as the fraction of alpha spent by information fraction t ∈ [0, 1]. */
export const SPENDING_FUNCTIONS = {
  /** Lan–DeMets Pocock-type: ln(1 + (e − 1)·t). Front-loaded: early looks get the most. */
  pocock: (t: number): number => Math.log(1 + (Math.E - 1) * t),
  /** Equal alpha at every look. */
  linear: (t: number): number => t,
} as const;

export type SpendingFunction = keyof typeof SPENDING_FUNCTIONS;

export interface LookAlphaInput {
  alpha: number;
  look: number;
  plannedLooks: number;
  spending: SpendingFunction;
  extraLooksShare: number;
}

export interface LookAlpha {
  /** Alpha to test at this look (before Holm divides it among metrics). */
  look: number;
  /** Alpha spent by all looks up to and including this one. */
  spentThrough: number;
}

/** The alpha of one look, and what the release has spent through it. `look` is 1-based. */
export function lookAlpha(input: LookAlphaInput): LookAlpha {
  const { alpha, look, plannedLooks, spending, extraLooksShare } = input;
  if (!Number.isInteger(look) || look < 1) throw new RangeError(`lookAlpha: look must be an integer ≥ 1, got ${look}`);
  if (!Number.isInteger(plannedLooks) || plannedLooks < 1) {
    throw new RangeError(`lookAlpha: plannedLooks must be an integer ≥ 1, got ${plannedLooks}`);
  }
  const f = SPENDING_FUNCTIONS[spending];
  const planned = alpha * (1 - extraLooksShare);
  if (look <= plannedLooks) {
    const through = planned * f(look / plannedLooks);
    const before = planned * f((look - 1) / plannedLooks);
    return { look: through - before, spentThrough: through };
  }
  const extra = look - plannedLooks;
  const reserve = alpha * extraLooksShare;
  return { look: reserve * 2 ** -extra, spentThrough: planned + reserve * (1 - 2 ** -extra) };
}
