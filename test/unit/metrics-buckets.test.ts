/**
 * Bucket alignment, the rules that turn query results into bucket counts, and coverage.
 */
import { describe, expect, it } from 'vitest';
import {
  assembleArm,
  bucketEnds,
  bucketRangeProblems,
  type ArmSamples,
} from '../../core/metrics/buckets.js';
import { bucketCoverage, describeCoverage } from '../../core/metrics/coverage.js';
import type { BucketSeries } from '../../core/types.js';

const M = 60_000;

describe('bucketEnds', () => {
  it('cuts an aligned range into range/bucket buckets, named by their ends', () => {
    expect(bucketEnds({ startMs: 10 * M, endMs: 13 * M, bucketMs: M })).toEqual([
      11 * M,
      12 * M,
      13 * M,
    ]);
  });

  it('keeps only whole buckets of an unaligned range', () => {
    expect(bucketEnds({ startMs: 10 * M + 1, endMs: 13 * M - 1, bucketMs: M })).toEqual([12 * M]);
    expect(bucketEnds({ startMs: 10 * M - 1, endMs: 13 * M + 59_999, bucketMs: M })).toEqual([
      11 * M,
      12 * M,
      13 * M,
    ]);
  });

  it('returns nothing for a range shorter than a bucket', () => {
    expect(bucketEnds({ startMs: 10 * M + 1, endMs: 11 * M, bucketMs: M })).toEqual([]);
    expect(bucketEnds({ startMs: 10 * M, endMs: 10 * M, bucketMs: M })).toEqual([]);
  });

  it('aligns 1 s buckets for the sandbox', () => {
    expect(
      bucketEnds({ startMs: 1_700_000_000_250, endMs: 1_700_000_003_900, bucketMs: 1000 }),
    ).toEqual([1_700_000_002_000, 1_700_000_003_000]);
  });
});

describe('bucketRangeProblems', () => {
  it('accepts a range of whole buckets of at least 1 s', () => {
    expect(bucketRangeProblems({ startMs: 0, endMs: 10 * M, bucketMs: M })).toEqual([]);
  });

  it('rejects bucket lengths under 1 s or fractional, reversed ranges, and too many buckets', () => {
    expect(bucketRangeProblems({ startMs: 0, endMs: M, bucketMs: 500 })).toEqual([
      'bucket length must be a whole number of milliseconds, at least 1000 (got 500)',
    ]);
    expect(bucketRangeProblems({ startMs: 0, endMs: M, bucketMs: 1000.5 })).toHaveLength(1);
    expect(bucketRangeProblems({ startMs: M, endMs: 0, bucketMs: 1000 })).toEqual([
      'range end 0 is before its start 60000',
    ]);
    expect(bucketRangeProblems({ startMs: 0, endMs: 11_001_000, bucketMs: 1000 })).toEqual([
      'range holds 11001 buckets; at most 11000 may be asked for at once',
    ]);
  });
});

const ends = [1 * M, 2 * M, 3 * M, 4 * M];
const map = (entries: [number, number][]) => new Map(entries);
const samples = (over: Partial<ArmSamples>): ArmSamples => ({
  requests: map([]),
  errors: map([]),
  latencySum: map([]),
  latencyCount: map([]),
  ...over,
});

describe('assembleArm', () => {
  it('reports a bucket without a requests value as missing, never as zero', () => {
    expect(
      assembleArm(
        ends,
        samples({ errors: map([[M, 1]]), latencySum: map([[M, 10]]), latencyCount: map([[M, 1]]) }),
      ),
    ).toEqual([null, null, null, null]);
  });

  it('keeps a requests value of 0 as real data', () => {
    expect(assembleArm([M], samples({ requests: map([[M, 0]]) }))).toEqual([
      { requests: 0, errors: 0, latencySumMs: 0, latencyCount: 0 },
    ]);
  });

  it('counts an absent errors value as 0 errors when the arm has requests in that bucket', () => {
    const arm = assembleArm(
      ends,
      samples({
        requests: map([
          [M, 100],
          [2 * M, 100],
          [3 * M, 100],
        ]),
        errors: map([[2 * M, 5]]),
        latencySum: map([
          [M, 2000],
          [2 * M, 2000],
          [3 * M, 2000],
        ]),
        latencyCount: map([
          [M, 100],
          [2 * M, 100],
          [3 * M, 100],
        ]),
      }),
    );
    expect(arm.map((b) => b?.errors ?? null)).toEqual([0, 5, 0, null]);
  });

  it('treats NaN or infinite counts as a missing bucket, and leaves out a NaN quantile', () => {
    const arm = assembleArm(
      ends,
      samples({
        requests: map([
          [M, Number.NaN],
          [2 * M, 10],
          [3 * M, 10],
          [4 * M, 10],
        ]),
        errors: map([[2 * M, Number.POSITIVE_INFINITY]]),
        latencySum: map([
          [3 * M, 100],
          [4 * M, 100],
        ]),
        latencyCount: map([
          [3 * M, 10],
          [4 * M, 10],
        ]),
        latencyQuantile: map([
          [3 * M, Number.NaN],
          [4 * M, 24.85],
        ]),
      }),
    );
    expect(arm).toEqual([
      null,
      null,
      { requests: 10, errors: 0, latencySumMs: 100, latencyCount: 10 },
      { requests: 10, errors: 0, latencySumMs: 100, latencyCount: 10, latencyQuantileMs: 24.85 },
    ]);
  });
});

describe('bucketCoverage', () => {
  const counts = { requests: 10, errors: 0, latencySumMs: 100, latencyCount: 10 };
  const series: BucketSeries = {
    bucketMs: M,
    timestamps: [M, 2 * M, 3 * M, 4 * M, 5 * M],
    canary: [counts, null, counts, null, counts],
    baseline: [counts, counts, null, null, counts],
  };

  it('counts buckets with data in both arms, in one, and in neither', () => {
    expect(bucketCoverage(series)).toEqual({
      buckets: 5,
      both: 2,
      canaryOnly: 1,
      baselineOnly: 1,
      neither: 1,
      missing: 3,
      noData: false,
    });
    expect(describeCoverage(bucketCoverage(series))).toBe(
      '2 of 5 buckets have data for both arms (canary 3/5, baseline 3/5)',
    );
  });

  it('reports no data when no bucket has both arms, so the caller can call the look inconclusive', () => {
    const canaryMissing = { ...series, canary: series.canary.map(() => null) };
    const coverage = bucketCoverage(canaryMissing);
    expect(coverage).toMatchObject({ both: 0, missing: 5, noData: true });
    expect(describeCoverage(coverage)).toBe(
      'no bucket has data for both arms (canary 0/5, baseline 3/5)',
    );
    expect(
      describeCoverage(bucketCoverage({ bucketMs: M, timestamps: [], canary: [], baseline: [] })),
    ).toBe('no whole bucket in the window');
  });
});
