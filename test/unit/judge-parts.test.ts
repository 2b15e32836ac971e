/**
 * The judge's parts on their own: exact binomial tails, the count test, Holm, alpha spending,
 * sample extraction and the guards' window.
 */
import { describe, expect, it } from 'vitest';
import { judgeConfigSchema } from '../../core/judge/config.js';
import { countTest } from '../../core/judge/count-test.js';
import { evaluateGuards } from '../../core/judge/guards.js';
import { holm } from '../../core/judge/holm.js';
import {
  errorRateSamples,
  latencyMeanSamples,
  latencyQuantileSamples,
} from '../../core/judge/metrics.js';
import { lookAlpha } from '../../core/judge/spending.js';
import {
  binomialLowerTail,
  binomialUpperTail,
  clopperPearsonUpper,
} from '../../core/stats/binomial.js';

const relativeError = (actual: number, expected: number) =>
  Math.abs(actual - expected) / Math.abs(expected);

describe('exact binomial tails', () => {
  // Expected values from scipy.stats.binom (sf(k - 1) and cdf(k)).
  it.each([
    [40, 60, 0.5238, 0.01770033594552363],
    [5, 5, 0.5, 0.03125],
    [10, 10, 0.3, 5.9048999999999975e-6],
    [7, 100000, 1e-5, 8.32283763200854e-5],
    [900, 1000, 0.5, 6.701717790006182e-162],
    [50, 100, 0.5, 0.5397946186935889],
  ])('P(X ≥ %i) for Binomial(%i, %f) matches scipy to 1e-8 relative', (k, n, p, expected) => {
    expect(relativeError(binomialUpperTail(k, n, p), expected)).toBeLessThan(1e-8);
  });

  it('keeps precision in the far lower tail (P(X ≤ 0) for Binomial(10, 0.3) = 0.7^10)', () => {
    expect(relativeError(binomialLowerTail(0, 10, 0.3), 0.7 ** 10)).toBeLessThan(1e-12);
  });

  it('handles the edges of the support without summing', () => {
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.3)).toBe(0);
    expect(binomialUpperTail(3, 10, 0)).toBe(0);
    expect(binomialLowerTail(10, 10, 0.3)).toBe(1);
  });

  it('refuses fractional trial counts with a message naming the function', () => {
    expect(() => binomialUpperTail(1, 2.5, 0.5)).toThrow(
      'binomialUpperTail: trials must be a non-negative integer, got 2.5',
    );
  });

  it('bounds a proportion from above (Clopper–Pearson, scipy beta.ppf)', () => {
    expect(relativeError(clopperPearsonUpper(0, 1000, 0.95), 0.002991249545095295)).toBeLessThan(
      1e-9,
    );
    expect(relativeError(clopperPearsonUpper(3, 100, 0.95), 0.07571079374983004)).toBeLessThan(
      1e-9,
    );
  });
});

describe('count test', () => {
  const totals = (requests: number, errors: number) => ({
    requests,
    errors,
    latencyCount: requests,
    latencySumMs: 0,
  });

  it('tests the canary share of errors against p0 from the request shares and the margin ratio', () => {
    const r = countTest(totals(1000, 40), totals(1000, 20), { relative: 0.1, absolute: 0.001 });
    expect(r.marginRatio).toBeCloseTo(1.1, 12);
    expect(r.nullShare).toBeCloseTo(1.1 / 2.1, 12);
    expect(r.p).toBeCloseTo(binomialUpperTail(40, 60, 1.1 / 2.1), 15);
  });

  it('converts the absolute floor into a ratio with the pooled error rate when that is the larger margin', () => {
    const r = countTest(totals(1000, 2), totals(1000, 2), { relative: 0.1, absolute: 0.001 });
    // pooled rate 0.002: floor 0.001 is half of it.
    expect(r.marginRatio).toBeCloseTo(1.5, 12);
  });

  it('reports no-errors (and no p-value) when neither arm had an error', () => {
    const r = countTest(totals(1000, 0), totals(1000, 0), { relative: 0.1, absolute: 0.001 });
    expect(r.degenerate).toBe('no-errors');
    expect(r.p).toBeNaN();
  });

  it('rounds fractional counts from Prometheus extrapolation', () => {
    const r = countTest(totals(1000.4, 3.4), totals(999.6, 1.6), { relative: 0, absolute: 0 });
    expect(r).toMatchObject({ canaryErrors: 3, totalErrors: 5 });
  });
});

describe('holm', () => {
  it('rejects step-down: alpha/3, alpha/2, alpha for the sorted p-values, in input order', () => {
    const result = holm([0.02, 0.001, 0.04], 0.06);
    expect(result.map((r) => r.threshold)).toEqual([0.03, 0.02, 0.06]);
    expect(result.map((r) => r.rejected)).toEqual([true, true, true]);
  });

  it('stops at the first non-rejection, even when a later p is below its own level', () => {
    const result = holm([0.006, 0.007], 0.01);
    expect(result).toEqual([
      { threshold: 0.005, rejected: false },
      { threshold: 0.01, rejected: false },
    ]);
  });

  it('counts a missing p-value in m but never rejects it', () => {
    const result = holm([null, 0.004], 0.01);
    expect(result).toEqual([
      { threshold: 0.01, rejected: false },
      { threshold: 0.005, rejected: true },
    ]);
  });
});

describe('alpha spending', () => {
  const base = {
    alpha: 0.01,
    plannedLooks: 6,
    spending: 'pocock' as const,
    spendingGamma: -2,
    extraLooksShare: 0.05,
    boundaries: 'group-sequential' as const,
    informationExponent: 2,
  };

  it('spends the Pocock-type function ln(1 + (e − 1)t) of the planned share at the first look', () => {
    expect(lookAlpha({ ...base, look: 1 }).look).toBeCloseTo(
      0.0095 * Math.log(1 + (Math.E - 1) / 6),
      15,
    );
  });

  it('front-loads Pocock-type spending and spends equal shares with linear spending', () => {
    const pocock = [1, 2, 3, 4, 5, 6].map((look) => lookAlpha({ ...base, look }).look);
    for (let i = 1; i < pocock.length; i++) expect(pocock[i]).toBeLessThan(pocock[i - 1] ?? 0);
    const linear = [1, 6].map((look) => lookAlpha({ ...base, spending: 'linear', look }).look);
    expect(linear[0]).toBeCloseTo(0.0095 / 6, 15);
    expect(linear[1]).toBeCloseTo(0.0095 / 6, 15);
  });

  it('spends exactly the planned share by the last planned look', () => {
    const total = [1, 2, 3, 4, 5, 6].reduce(
      (sum, look) => sum + lookAlpha({ ...base, look }).look,
      0,
    );
    expect(total).toBeCloseTo(0.0095, 15);
    expect(lookAlpha({ ...base, look: 6 }).spentThrough).toBeCloseTo(0.0095, 15);
  });

  it('halves the reserve at each look beyond plannedLooks and never reaches alpha', () => {
    expect(lookAlpha({ ...base, look: 7 }).look).toBeCloseTo(0.0005 / 2, 15);
    expect(lookAlpha({ ...base, look: 8 }).look).toBeCloseTo(0.0005 / 4, 15);
    const total = Array.from(
      { length: 200 },
      (_, i) => lookAlpha({ ...base, look: i + 1 }).look,
    ).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(0.01);
    expect(lookAlpha({ ...base, look: 20 }).spentThrough).toBeLessThan(0.01);
    // Far out, 1 − 2^-54 rounds to 1: the spend reaches alpha in floating point, never exceeds it.
    expect(lookAlpha({ ...base, look: 60 }).spentThrough).toBeLessThanOrEqual(0.01);
  });

  it('rejects a look number below 1 with a message naming it', () => {
    expect(() => lookAlpha({ ...base, look: 0 })).toThrow(
      'lookAlpha: look must be an integer ≥ 1, got 0',
    );
  });
});

describe('samples and guards', () => {
  const bucket = (
    requests: number,
    errors: number,
    latencyCount: number,
    latencyMs: number,
    latencyQuantileMs?: number,
  ) => ({
    requests,
    errors,
    latencySumMs: latencyMs * latencyCount,
    latencyCount,
    ...(latencyQuantileMs === undefined ? {} : { latencyQuantileMs }),
  });

  it('skips buckets without requests or observations instead of counting them as zero', () => {
    const buckets = [bucket(100, 2, 100, 90), bucket(0, 0, 0, 0), bucket(50, 5, 40, 120, 300)];
    expect(errorRateSamples(buckets)).toEqual([0.02, 0.1]);
    expect(latencyMeanSamples(buckets)).toEqual([90, 120]);
    expect(latencyQuantileSamples(buckets)).toEqual([300]);
  });

  it('guards the latest buckets holding at least minRequests requests, not the whole history', () => {
    const guards = judgeConfigSchema.parse({}).guards;
    const history = [
      ...Array.from({ length: 20 }, () => bucket(200, 1, 200, 100)),
      bucket(60, 20, 60, 100),
      bucket(60, 20, 60, 100),
    ];
    const [errorGuard] = evaluateGuards(history, guards);
    expect(errorGuard).toMatchObject({
      guard: 'errorRateCeiling',
      buckets: 2,
      volume: 120,
      enoughVolume: true,
      tripped: true,
    });
    expect(errorGuard?.observed).toBeCloseTo(40 / 120, 12);
  });
});
