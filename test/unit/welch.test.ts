/**
 * Welch's t-test against scipy (the shared reference vectors and our own generated ones, see
 * scripts/gen-welch-vectors.py), its documented degenerate results, and tail precision.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pairedT } from '../../core/stats/paired.js';
import { tPValues, welch, type WelchResult } from '../../core/stats/welch.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Vector {
  name: string;
  canary: number[];
  baseline: number[];
  margin: number;
  t: number;
  df: number;
  pTwoSided: number;
  pGreater: number;
  pLess: number;
}

function loadVectors(file: string): Vector[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { vectors: Vector[] };
  return parsed.vectors;
}

/** Relative closeness; `floor` is an absolute tolerance for values that are exactly zero. */
function expectClose(
  actual: number,
  expected: number,
  relative: number,
  what: string,
  floor = 0,
): void {
  const error = Math.abs(actual - expected);
  const allowed = relative * Math.max(Math.abs(actual), Math.abs(expected)) + floor;
  expect(error, `${what}: got ${actual}, expected ${expected}`).toBeLessThanOrEqual(allowed);
}

function expectMatchesScipy(vector: Vector): void {
  const r = welch(vector.canary, vector.baseline, { margin: vector.margin });
  expect(r.degenerate).toBeUndefined();
  expectClose(r.t, vector.t, 1e-9, 't', 1e-12);
  expectClose(r.df, vector.df, 1e-9, 'df');
  expectClose(r.pTwoSided, vector.pTwoSided, 1e-7, 'pTwoSided');
  expectClose(r.pGreater, vector.pGreater, 1e-7, 'pGreater');
  expectClose(r.pLess, vector.pLess, 1e-7, 'pLess');
}

describe('welch against the shared scipy reference vectors', () => {
  const vectors = loadVectors(
    path.resolve(repoRoot, '..', 'shared', 'reference', 'welch-vectors.json'),
  );

  it('has reference vectors to check', () => {
    expect(vectors.length).toBeGreaterThan(0);
  });

  for (const vector of vectors) {
    it(`matches scipy on "${vector.name}" (t, df to 1e-9 and p to 1e-7 relative)`, () => {
      expectMatchesScipy(vector);
    });
  }
});

describe('welch against our generated scipy vectors', () => {
  const vectors = loadVectors(
    path.resolve(repoRoot, 'test', 'fixtures', 'welch-scipy-vectors.json'),
  );

  it('covers margins, unequal sizes, n = 2 and extreme variances', () => {
    expect(vectors.some((v) => v.margin !== 0)).toBe(true);
    expect(vectors.some((v) => v.canary.length !== v.baseline.length)).toBe(true);
    expect(vectors.some((v) => v.canary.length === 2 || v.baseline.length === 2)).toBe(true);
    expect(vectors.length).toBeGreaterThanOrEqual(20);
  });

  for (const vector of vectors) {
    it(`matches scipy on "${vector.name}"`, () => {
      expectMatchesScipy(vector);
    });
  }
});

describe('welch on degenerate input', () => {
  const expectNoTest = (r: WelchResult) => {
    for (const key of ['t', 'df', 'pTwoSided', 'pGreater', 'pLess', 'standardError'] as const) {
      expect(r[key], key).toBeNaN();
    }
  };

  it('reports too-few-samples with NaN statistics when an arm has one value, keeping the means', () => {
    const r = welch([5], [1, 2, 3]);
    expect(r.degenerate).toBe('too-few-samples');
    expectNoTest(r);
    expect(r.meanCanary).toBe(5);
    expect(r.meanBaseline).toBe(2);
    expect(r.varianceCanary).toBeNaN();
    expect(r.varianceBaseline).toBe(1);
  });

  it('reports too-few-samples with NaN means when an arm is empty', () => {
    const r = welch([1, 2], []);
    expect(r.degenerate).toBe('too-few-samples');
    expectNoTest(r);
    expect(r.meanBaseline).toBeNaN();
  });

  it('reports non-finite when a value is NaN or infinite, or the margin is NaN', () => {
    expect(welch([1, Number.NaN, 3], [1, 2, 3]).degenerate).toBe('non-finite');
    expect(welch([1, 2, 3], [1, Number.POSITIVE_INFINITY]).degenerate).toBe('non-finite');
    const r = welch([1, 2, 3], [1, 2, 4], { margin: Number.NaN });
    expect(r.degenerate).toBe('non-finite');
    expectNoTest(r);
  });

  it('gives p = 0 for "greater" when both arms are constant and the canary exceeds baseline plus margin', () => {
    const r = welch([3, 3, 3], [1, 1], { margin: 1 });
    expect(r).toMatchObject({
      degenerate: 'zero-variance',
      t: Number.POSITIVE_INFINITY,
      pGreater: 0,
      pLess: 1,
      pTwoSided: 0,
      standardError: 0,
    });
    expect(r.df).toBeNaN();
  });

  it('gives p = 1 for "greater" when both arms are constant and the canary is within the margin', () => {
    const r = welch([1.5, 1.5], [1, 1, 1], { margin: 1 });
    expect(r).toMatchObject({
      degenerate: 'zero-variance',
      t: Number.NEGATIVE_INFINITY,
      pGreater: 1,
      pLess: 0,
      pTwoSided: 0,
    });
  });

  it('gives t = 0 and one-sided p = 0.5 when both arms are constant and differ by exactly the margin', () => {
    const r = welch([2, 2], [1, 1], { margin: 1 });
    expect(r).toMatchObject({
      degenerate: 'zero-variance',
      t: 0,
      pGreater: 0.5,
      pLess: 0.5,
      pTwoSided: 1,
    });
  });

  it('tests normally when only one arm is constant, with df = n − 1 of the other arm', () => {
    const r = welch([1, 2, 4, 3], [2, 2, 2]);
    expect(r.degenerate).toBeUndefined();
    expect(r.df).toBeCloseTo(3, 12);
    expect(r.pGreater).toBeGreaterThan(0);
    expect(r.pGreater).toBeLessThan(1);
  });
});

describe('welch margins and tails', () => {
  it('shifts the statistic by the margin exactly as testing canary − margin against baseline', () => {
    const canary = [10.2, 11.1, 9.8, 10.6, 10.9];
    const baseline = [9.1, 9.4, 10.0, 9.6];
    const withMargin = welch(canary, baseline, { margin: 0.5 });
    const shifted = welch(
      canary.map((x) => x - 0.5),
      baseline,
    );
    expect(withMargin.t).toBeCloseTo(shifted.t, 12);
    expect(withMargin.df).toBeCloseTo(shifted.df, 12);
    expect(withMargin.t).toBeLessThan(welch(canary, baseline).t);
  });

  it('keeps full precision far in the upper tail: t = 40 with df = 30 gives pGreater ≈ 6.86e-28, not 0', () => {
    const p = tPValues(40, 30);
    expectClose(p.pGreater, 6.863022597203209e-28, 1e-7, 'pGreater');
    expectClose(p.pTwoSided, 2 * 6.863022597203209e-28, 1e-7, 'pTwoSided');
    expect(p.pLess).toBe(1);
  });

  it('takes the lower tail from the CDF and the upper by symmetry (t = −3, df = 5)', () => {
    const p = tPValues(-3, 5);
    expectClose(p.pLess, 0.015049623948731293, 1e-7, 'pLess');
    expectClose(p.pGreater, 0.9849503760512687, 1e-7, 'pGreater');
  });
});

describe('the paired t-test on degenerate input', () => {
  it('reports too-few-samples and non-finite with every statistic NaN, keeping the mean of the differences', () => {
    for (const [r, degenerate] of [
      [pairedT([4]), 'too-few-samples'],
      [pairedT([1, Number.NaN]), 'non-finite'],
      [pairedT([1, 2], Number.NaN), 'non-finite'],
    ] as const) {
      expect(r.degenerate).toBe(degenerate);
      for (const key of ['t', 'df', 'pTwoSided', 'pGreater', 'pLess', 'standardError'] as const)
        expect(r[key], key).toBeNaN();
    }
    expect(pairedT([4])).toMatchObject({ meanDifference: 4, pairs: 1 });
    expect(pairedT([4]).varianceDifference).toBeNaN();
    expect(pairedT([1, 2], Number.NaN)).toMatchObject({
      meanDifference: 1.5,
      varianceDifference: 0.5,
    });
  });

  it('gives constant differences the exact results Welch gives constant arms, but with df = n − 1', () => {
    for (const [differences, margin] of [
      [[2, 2, 2], 1],
      [[0.5, 0.5], 1],
      [[1, 1], 1],
    ] as const) {
      const paired = pairedT(differences, margin);
      const unpaired = welch(differences, [0, 0], { margin });
      const exact = (r: typeof paired | WelchResult) => ({
        t: r.t,
        pGreater: r.pGreater,
        pLess: r.pLess,
        pTwoSided: r.pTwoSided,
        standardError: r.standardError,
        degenerate: r.degenerate,
      });
      expect(exact(paired)).toEqual(exact(unpaired));
      expect(paired.df).toBe(differences.length - 1);
    }
    expect(pairedT([2, 2, 2], 1)).toMatchObject({
      t: Number.POSITIVE_INFINITY,
      pGreater: 0,
      pLess: 1,
      pTwoSided: 0,
    });
    expect(pairedT([0.5, 0.5], 1)).toMatchObject({
      t: Number.NEGATIVE_INFINITY,
      pGreater: 1,
      pLess: 0,
      pTwoSided: 0,
    });
    expect(pairedT([1, 1], 1)).toMatchObject({ t: 0, pGreater: 0.5, pLess: 0.5, pTwoSided: 1 });
  });
});
