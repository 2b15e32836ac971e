/**
 * The math behind the judge's looks and its paired test: normal tails and quantiles, exact
 * group-sequential boundaries (against published Pocock and O'Brien–Fleming constants, an
 * independent integration and a simulation), the spending families, and the paired t-test.
 */
import { describe, expect, it } from 'vitest';
import { holm } from '../../core/judge/holm.js';
import { lookAlpha, nominalLevel, spendingFraction } from '../../core/judge/spending.js';
import { crossingProbabilities, spendingBoundaries } from '../../core/stats/group-sequential.js';
import {
  normalCdf,
  normalPdf,
  normalUpperQuantile,
  normalUpperTail,
} from '../../core/stats/normal.js';
import { pairedT } from '../../core/stats/paired.js';
import { tPValues } from '../../core/stats/welch.js';
import { Random } from '../../bench/lib/random.js';

const relativeError = (actual: number, expected: number) =>
  Math.abs(actual - expected) / Math.abs(expected);
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const equalFractions = (k: number) => Array.from({ length: k }, (_, i) => (i + 1) / k);

/** The constant c for which boundaries c·shape(k) cross with total probability `alpha` (bisection). */
function solveConstant(looks: number, alpha: number, shape: (k: number) => number): number {
  const fractions = equalFractions(looks);
  let lo = 1;
  let hi = 6;
  for (let i = 0; i < 50; i++) {
    const c = (lo + hi) / 2;
    if (
      sum(
        crossingProbabilities(
          fractions,
          fractions.map((_, k) => c * shape(k + 1)),
        ),
      ) > alpha
    )
      lo = c;
    else hi = c;
  }
  return (lo + hi) / 2;
}

describe('normal distribution', () => {
  // Expected values: scipy.stats.norm.sf. Relative error 1e-9 up to z = 5, 1e-8 out at z = 8.
  it.each([
    [1.959963984540054, 0.025, 1e-9],
    [3, 0.0013498980316301, 1e-9],
    [5, 2.866515718791939e-7, 1e-9],
    [8, 6.22096057427178e-16, 1e-8],
  ])('P(Z > %f) = %e, computed as a tail', (z, tail, tolerance) => {
    expect(relativeError(normalUpperTail(z), tail)).toBeLessThan(tolerance);
    expect(relativeError(normalCdf(-z), tail)).toBeLessThan(tolerance);
  });

  it('inverts the tail to 1e-12 relative, from 1e-12 to 1 − 1e-12', () => {
    expect(normalUpperQuantile(0.025)).toBeCloseTo(1.959963984540054, 12);
    for (const p of [1e-12, 1e-6, 0.001, 0.2, 0.5, 0.9, 1 - 1e-12]) {
      expect(relativeError(normalUpperTail(normalUpperQuantile(p)), p)).toBeLessThan(1e-12);
    }
    expect(normalUpperQuantile(0)).toBe(Number.POSITIVE_INFINITY);
    expect(normalPdf(0)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 15);
  });
});

describe('group-sequential boundaries', () => {
  it('reduce to the fixed-sample critical value with one look', () => {
    const { z, nominal, crossing } = spendingBoundaries([1], [0.025]);
    expect(z[0]).toBeCloseTo(1.959963984540054, 10);
    expect(nominal[0]).toBeCloseTo(0.025, 12);
    expect(crossing[0]).toBeCloseTo(0.025, 12);
  });

  it("match Pocock's constant 2.413 for five equally spaced looks at one-sided 0.025 (Jennison & Turnbull, table 2.1)", () => {
    expect(Math.abs(solveConstant(5, 0.025, () => 1) - 2.413)).toBeLessThan(1e-3);
  });

  it("match O'Brien–Fleming's 2.040 at the last of five looks (4.562 at the first)", () => {
    const c = solveConstant(5, 0.025, (k) => Math.sqrt(5 / k));
    expect(Math.abs(c - 2.04)).toBeLessThan(1e-3);
    expect(Math.abs(c * Math.sqrt(5) - 4.562)).toBeLessThan(1e-3);
  });

  it('spend exactly the cumulative alpha: total crossing probability equals alpha within 1e-7', () => {
    const fractions = equalFractions(6);
    const cumulative = fractions.map((t) => 0.025 * Math.log(1 + (Math.E - 1) * t));
    const boundary = spendingBoundaries(fractions, cumulative);
    const recomputed = crossingProbabilities(fractions, boundary.z);
    recomputed.forEach((p, k) =>
      expect(Math.abs(p - (boundary.crossing[k] as number))).toBeLessThan(1e-9),
    );
    expect(Math.abs(sum(recomputed) - 0.025)).toBeLessThan(1e-7);
    // Correlated looks: every nominal level after the first exceeds the look's own increment.
    boundary.nominal.forEach((n, k) =>
      expect(n).toBeGreaterThanOrEqual((boundary.crossing[k] as number) * (1 - 1e-9)),
    );
  });

  it('agree with an independent integration for two looks: P(Z1 ≥ b1) + ∫ φ(x) P(Z2 ≥ b2 | x) dx over x < b1', () => {
    const fractions = [0.4, 1];
    const { z } = spendingBoundaries(fractions, [0.004, 0.01]);
    const [b1, b2] = z as [number, number];
    const rho = Math.sqrt(0.4);
    // Trapezoid on a fine grid, nothing shared with the recursion but the normal tail.
    let second = 0;
    const h = 1e-4;
    for (let x = -9; x < b1; x += h) {
      const w = x + h > b1 ? b1 - x : h;
      const mid = x + w / 2;
      second += w * normalPdf(mid) * normalUpperTail((b2 - rho * mid) / Math.sqrt(1 - rho * rho));
    }
    expect(Math.abs(normalUpperTail(b1) - 0.004)).toBeLessThan(1e-12);
    expect(Math.abs(second - 0.006)).toBeLessThan(1e-6);
  });

  it('agree with a simulation of 400,000 paths of cumulative z-statistics (within 4 standard errors)', () => {
    const fractions = equalFractions(4);
    const boundary = spendingBoundaries(
      fractions,
      fractions.map((t) => 0.05 * t),
    );
    const random = new Random(7);
    let crossed = 0;
    const runs = 400_000;
    for (let run = 0; run < runs; run++) {
      let s = 0;
      for (let k = 0; k < 4; k++) {
        s += random.normal() * Math.sqrt(0.25);
        if (s / Math.sqrt(fractions[k] as number) >= (boundary.z[k] as number)) {
          crossed += 1;
          break;
        }
      }
    }
    // The estimate's standard error is 3.4e-4: the recursion's own accuracy is checked above.
    expect(Math.abs(crossed / runs - 0.05)).toBeLessThan(4 * Math.sqrt((0.05 * 0.95) / runs));
  });

  it('stay within alpha when information grows up to linearly, if computed for fractions (k/K)²', () => {
    const calendar = equalFractions(6);
    const cumulative = calendar.map((t) => 0.005 * spendingFraction('hsd', t, 0.005, -2));
    const { z } = spendingBoundaries(
      calendar.map((t) => t * t),
      cumulative,
    );
    const spacing = (increments: number[]) =>
      increments.map((_, k) => sum(increments.slice(0, k + 1)) / sum(increments));
    expect(sum(crossingProbabilities(spacing([1, 3, 5, 7, 9, 11]), z))).toBeCloseTo(0.005, 8);
    for (const increments of [
      [1, 1, 1, 1, 1, 1],
      [10, 20, 30, 40, 50, 50],
      [5, 4, 3, 2, 1, 1],
    ]) {
      expect(sum(crossingProbabilities(spacing(increments), z))).toBeLessThan(0.005);
    }
  });

  it('refuse information fractions that do not increase', () => {
    expect(() => spendingBoundaries([0.5, 0.5], [0.01, 0.02])).toThrow(/must increase/);
  });
});

describe('spending families', () => {
  it('spend nothing at t = 0 and everything at t = 1, increasing in between', () => {
    for (const spending of ['pocock', 'linear', 'obrien-fleming', 'hsd'] as const) {
      expect(spendingFraction(spending, 0, 0.01, -2)).toBe(0);
      expect(spendingFraction(spending, 1, 0.01, -2)).toBe(1);
      const values = [0.2, 0.4, 0.6, 0.8].map((t) => spendingFraction(spending, t, 0.01, -2));
      for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1] ?? 0);
    }
  });

  it("use Lan–DeMets O'Brien–Fleming-type 2(1 − Φ(z_{α/2}/√t)) and Hwang–Shih–DeCani (1 − e^{−γt})/(1 − e^{−γ})", () => {
    expect(spendingFraction('obrien-fleming', 0.5, 0.01, 0) * 0.01).toBeCloseTo(
      2 * normalUpperTail(2.5758293035489 / Math.sqrt(0.5)),
      12,
    );
    expect(spendingFraction('hsd', 0.5, 0.01, -2)).toBeCloseTo(
      (1 - Math.exp(1)) / (1 - Math.exp(2)),
      12,
    );
    expect(spendingFraction('hsd', 0.3, 0.01, 0)).toBeCloseTo(0.3, 12);
  });

  it('give the nominal level of the last planned look the most with back-loaded spending, and alpha itself with one look', () => {
    const base = {
      alpha: 0.01,
      plannedLooks: 6,
      spending: 'hsd' as const,
      spendingGamma: -2,
      extraLooksShare: 0.05,
      boundaries: 'group-sequential' as const,
      informationExponent: 2,
    };
    const levels = [1, 2, 3, 4, 5, 6].map((look) => nominalLevel({ ...base, look }, 2));
    for (let i = 1; i < levels.length; i++) expect(levels[i]).toBeGreaterThan(levels[i - 1] ?? 0);
    expect(nominalLevel({ ...base, look: 1, plannedLooks: 1 }, 1)).toBeCloseTo(0.0095, 12);
    // Looks after a released hold are paid from the reserve, by the union bound, in both modes.
    expect(nominalLevel({ ...base, look: 7 }, 2)).toBeCloseTo(0.0005 / 2 / 2, 15);
    expect(lookAlpha({ ...base, look: 7 }).nominal).toBeCloseTo(0.0005 / 2, 15);
  });

  it('apply Holm with a level per share: the smallest p gets level(m), the next level(m − 1)', () => {
    const level = (divisor: number) => 0.003 / divisor ** 1.5;
    expect(holm([0.002, 0.0005], level)).toEqual([
      { threshold: level(1), rejected: true },
      { threshold: level(2), rejected: true },
    ]);
  });
});

describe('paired t-test', () => {
  it('is the one-sample t-test of the differences against the margin', () => {
    const d = [1.2, 2.5, 0.4, 3.1, 2.2, 1.7];
    const r = pairedT(d, 0.5);
    const mean = sum(d) / d.length;
    const sd = Math.sqrt(sum(d.map((x) => (x - mean) ** 2)) / (d.length - 1));
    expect(r.t).toBeCloseTo((mean - 0.5) / (sd / Math.sqrt(d.length)), 12);
    expect(r.df).toBe(5);
    expect(r.pGreater).toBeCloseTo(tPValues(r.t, 5).pGreater, 15);
    // scipy.stats.ttest_1samp([0.7, 2.0, -0.1, 2.6, 1.7, 1.2], 0, alternative='greater').pvalue
    expect(relativeError(r.pGreater, 0.00934641098614344)).toBeLessThan(1e-7);
  });

  it('reports degenerate input like Welch: too few pairs, non-finite values, constant differences', () => {
    expect(pairedT([1]).degenerate).toBe('too-few-samples');
    expect(pairedT([1, Number.NaN]).degenerate).toBe('non-finite');
    expect(pairedT([2, 2, 2], 1)).toMatchObject({
      degenerate: 'zero-variance',
      t: Number.POSITIVE_INFINITY,
      pGreater: 0,
    });
    expect(pairedT([1, 1], 1)).toMatchObject({ degenerate: 'zero-variance', t: 0, pGreater: 0.5 });
  });
});
