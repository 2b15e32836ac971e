/**
 * One-sided group-sequential boundaries: the nominal level of each look so that the probability,
 * under H0, that the cumulative z-statistic crosses its boundary at any look is exactly the alpha
 * a spending function allows by then. Pure and deterministic math.
 *
 * Model (the canonical joint distribution, Jennison & Turnbull 2000, ch. 3): with information
 * fractions 0 < t_1 < … < t_K = 1, the cumulative statistics Z_k are jointly normal with
 * Cov(Z_j, Z_k) = √(t_j/t_k) for j ≤ k; equivalently S_k = Z_k·√t_k has independent N(0, t_k − t_{k−1})
 * increments. The crossing probabilities come from the Armitage–McPherson–Rowe recursion: the
 * sub-density of S_k on the paths that have not crossed yet is carried from look to look on a grid
 * and integrated with Simpson's rule (ch. 19).
 */
import { normalPdf, normalUpperQuantile, normalUpperTail } from './normal.js';

/** Grid: lower limit, in standard deviations of S_k, and Simpson intervals per standard deviation. */
const LOWER_SDS = 8;
const INTERVALS_PER_SD = 16;

interface SubDensity {
  /** Grid points on the S scale (ascending) and Simpson weights × density at them. */
  points: Float64Array;
  weighted: Float64Array;
}

function checkFractions(fractions: readonly number[]): void {
  let previous = 0;
  for (const t of fractions) {
    if (!(t > previous && t <= 1))
      throw new RangeError(
        `group-sequential: information fractions must increase within (0, 1], got ${fractions.join(', ')}`,
      );
    previous = t;
  }
}

/** Simpson grid from `lower` to `upper` (an even number of intervals) with the weights. */
function simpsonGrid(
  lower: number,
  upper: number,
  sd: number,
): { points: Float64Array; weights: Float64Array } {
  const intervals = 2 * Math.max(8, Math.ceil(((upper - lower) / sd) * INTERVALS_PER_SD * 0.5));
  const h = (upper - lower) / intervals;
  const points = new Float64Array(intervals + 1);
  const weights = new Float64Array(intervals + 1);
  for (let i = 0; i <= intervals; i++) {
    points[i] = lower + i * h;
    weights[i] = (h / 3) * (i === 0 || i === intervals ? 1 : i % 2 === 1 ? 4 : 2);
  }
  return { points, weights };
}

/** P(S_k ≥ b and no earlier crossing), from the previous sub-density (null at the first look). */
function crossing(
  previous: SubDensity | null,
  b: number,
  fraction: number,
  increment: number,
): number {
  if (b === Number.POSITIVE_INFINITY) return 0;
  if (previous === null) return normalUpperTail(b / Math.sqrt(fraction));
  const sd = Math.sqrt(increment);
  let sum = 0;
  for (let i = 0; i < previous.points.length; i++) {
    sum +=
      (previous.weighted[i] as number) * normalUpperTail((b - (previous.points[i] as number)) / sd);
  }
  return sum;
}

/** The sub-density of S_k below the boundary b (S scale), on a fresh grid. */
function nextDensity(
  previous: SubDensity | null,
  b: number,
  fraction: number,
  increment: number,
): SubDensity {
  const sdTotal = Math.sqrt(fraction);
  const upper = Math.min(b, LOWER_SDS * sdTotal);
  const { points, weights } = simpsonGrid(-LOWER_SDS * sdTotal, upper, Math.sqrt(increment));
  const weighted = new Float64Array(points.length);
  const sd = Math.sqrt(increment);
  for (let i = 0; i < points.length; i++) {
    const s = points[i] as number;
    let density: number;
    if (previous === null) {
      density = normalPdf(s / sdTotal) / sdTotal;
    } else {
      density = 0;
      for (let j = 0; j < previous.points.length; j++) {
        density +=
          (previous.weighted[j] as number) * normalPdf((s - (previous.points[j] as number)) / sd);
      }
      density /= sd;
    }
    weighted[i] = density * (weights[i] as number);
  }
  return { points, weighted };
}

/**
 * Probability under H0 of first crossing at each look, for boundaries `z` on the Z scale
 * (+Infinity: no rejection possible at that look). Their sum is the overall crossing probability.
 */
export function crossingProbabilities(
  fractions: readonly number[],
  z: readonly number[],
): number[] {
  checkFractions(fractions);
  if (z.length !== fractions.length)
    throw new RangeError('crossingProbabilities: one boundary per look');
  const result: number[] = [];
  let density: SubDensity | null = null;
  let previousFraction = 0;
  fractions.forEach((t, k) => {
    const b = (z[k] as number) * Math.sqrt(t);
    result.push(crossing(density, b, t, t - previousFraction));
    density = nextDensity(density, b, t, t - previousFraction);
    previousFraction = t;
  });
  return result;
}

export interface GroupSequentialBoundary {
  /** Boundary of each look on the Z scale (+Infinity when the look spends nothing). */
  z: number[];
  /** Nominal one-sided level of each look: reject at look k when p_k ≤ nominal[k] = P(Z > z[k]). */
  nominal: number[];
  /** Exact crossing probability of each look under H0 (the spending increments). */
  crossing: number[];
}

/**
 * Boundaries that spend `cumulativeAlpha[k]` by look k (non-decreasing, below 1). Each boundary is
 * found by bisection on the crossing probability of its look given the earlier boundaries.
 * Example: one look at 0.025 gives z = 1.96; five equally spaced looks at 0.025 with Pocock's
 * constant boundary would need z = 2.413 at every look.
 */
export function spendingBoundaries(
  fractions: readonly number[],
  cumulativeAlpha: readonly number[],
): GroupSequentialBoundary {
  checkFractions(fractions);
  if (cumulativeAlpha.length !== fractions.length)
    throw new RangeError('spendingBoundaries: one cumulative alpha per look');
  const z: number[] = [];
  const crossed: number[] = [];
  let density: SubDensity | null = null;
  let previousFraction = 0;
  let spent = 0;
  fractions.forEach((t, k) => {
    const target = (cumulativeAlpha[k] as number) - spent;
    const increment = t - previousFraction;
    const sdTotal = Math.sqrt(t);
    let b = Number.POSITIVE_INFINITY;
    let probability = 0;
    if (target > 0) {
      // The crossing probability decreases in b and is at most the marginal P(S_k ≥ b), so the
      // boundary lies below the marginal level's; bisect to 1e-13 standard deviations.
      let lo = -40 * sdTotal;
      let hi = normalUpperQuantile(target) * sdTotal;
      if (density !== null) {
        for (let i = 0; i < 200 && hi - lo > 1e-13 * sdTotal; i++) {
          const mid = (lo + hi) / 2;
          if (crossing(density, mid, t, increment) > target) lo = mid;
          else hi = mid;
        }
      }
      b = hi;
      probability = crossing(density, b, t, increment);
    }
    z.push(b / sdTotal);
    crossed.push(probability);
    spent += probability;
    density = nextDensity(density, b, t, increment);
    previousFraction = t;
  });
  return { z, nominal: z.map((x) => normalUpperTail(x)), crossing: crossed };
}
