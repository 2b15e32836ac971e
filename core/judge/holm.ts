/**
 * Holm's step-down procedure: controls the family-wise error rate at alpha across the metrics of
 * one look, uniformly more powerful than Bonferroni.
 */

export interface HolmResult {
  /** The level this hypothesis was (or would have been) compared with: alpha / (m − rank). */
  threshold: number;
  rejected: boolean;
}

/**
 * Sort the p-values ascending; the i-th smallest (0-based) is compared with alpha / (m − i) and
 * rejected while every smaller one was rejected too. Instead of alpha, `level(divisor)` may give
 * the level of a hypothesis holding alpha/divisor: with group-sequential boundaries that level is
 * not alpha_k/divisor (see spending.ts), and Holm's step-down with boundaries recomputed for the
 * larger share stays valid (Maurer & Bretz 2013, graphical approaches for group-sequential
 * tests). Results are in the input order. A missing p-value (null or NaN: no test was possible) never rejects but still counts in m, so each
 * metric's level does not depend on whether another metric happened to have data.
 * Ties keep their input order.
 */
export function holm(
  pValues: readonly (number | null)[],
  alpha: number | ((divisor: number) => number),
): HolmResult[] {
  const m = pValues.length;
  const level = typeof alpha === 'number' ? (divisor: number) => alpha / divisor : alpha;
  const order = pValues
    .map((p, index) => ({ p: p === null || Number.isNaN(p) ? Number.POSITIVE_INFINITY : p, index }))
    .sort((a, b) => a.p - b.p || a.index - b.index);
  const results: HolmResult[] = new Array<HolmResult>(m);
  let stillRejecting = true;
  order.forEach(({ p, index }, rank) => {
    const threshold = level(m - rank);
    stillRejecting = stillRejecting && p <= threshold;
    results[index] = { threshold, rejected: stillRejecting };
  });
  return results;
}
