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
 * rejected while every smaller one was rejected too. Results are in the input order. A missing
 * p-value (null or NaN: no test was possible) never rejects but still counts in m, so each
 * metric's level does not depend on whether another metric happened to have data.
 * Ties keep their input order.
 */
export function holm(pValues: readonly (number | null)[], alpha: number): HolmResult[] {
  const m = pValues.length;
  const order = pValues
    .map((p, index) => ({ p: p === null || Number.isNaN(p) ? Number.POSITIVE_INFINITY : p, index }))
    .sort((a, b) => a.p - b.p || a.index - b.index);
  const results: HolmResult[] = new Array<HolmResult>(m);
  let stillRejecting = true;
  order.forEach(({ p, index }, rank) => {
    const threshold = alpha / (m - rank);
    stillRejecting = stillRejecting && p <= threshold;
    results[index] = { threshold, rejected: stillRejecting };
  });
  return results;
}
