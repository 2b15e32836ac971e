/**
 * The contract every MetricsProvider passes, whatever its backend. An implementation's test calls
 * describeMetricsProviderContract with a fixture: a provider over a live backend that holds known
 * data, and the buckets where each arm is known to have data or not.
 */
import { describe, expect, it } from 'vitest';
import { MetricsUnavailableError } from '../../activities/metrics/errors.js';
import type {
  BucketRange,
  MetricsProvider,
  MetricsTarget,
} from '../../activities/metrics/types.js';
import type { BucketCounts, BucketSeries } from '../../core/types.js';

export interface MetricsProviderFixture {
  provider: MetricsProvider;
  target: MetricsTarget;
  /** A range with start and end on bucket boundaries, wholly in the past, in which the backend holds data. */
  range: BucketRange;
  /** Bucket ends (epoch ms) where an arm is known to have no data. */
  knownMissing: { canary: number[]; baseline: number[] };
  /** Bucket ends where both arms are known to have data. */
  knownPresent: number[];
  /** A target the backend has never seen. */
  unknownTarget: MetricsTarget;
  /** The same kind of provider, pointed at a backend that is not running. */
  offlineProvider: MetricsProvider;
  /** A provider like `provider` whose pre-flight does not wait for data to appear. */
  impatientProvider: MetricsProvider;
}

function expectCountsValid(counts: BucketCounts): void {
  for (const value of [counts.requests, counts.errors, counts.latencySumMs, counts.latencyCount]) {
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeGreaterThanOrEqual(0);
  }
  expect(counts.errors).toBeLessThanOrEqual(counts.requests);
  if (counts.latencyQuantileMs !== undefined)
    expect(Number.isFinite(counts.latencyQuantileMs)).toBe(true);
}

function expectAligned(series: BucketSeries, range: BucketRange): void {
  expect(series.bucketMs).toBe(range.bucketMs);
  expect(series.canary).toHaveLength(series.timestamps.length);
  expect(series.baseline).toHaveLength(series.timestamps.length);
  series.timestamps.forEach((end, i) => {
    expect(end % range.bucketMs).toBe(0);
    expect(end - range.bucketMs).toBeGreaterThanOrEqual(range.startMs);
    expect(end).toBeLessThanOrEqual(range.endMs);
    if (i > 0) expect(end - (series.timestamps[i - 1] as number)).toBe(range.bucketMs);
  });
}

export function describeMetricsProviderContract(
  name: string,
  fixture: () => MetricsProviderFixture,
): void {
  describe(`MetricsProvider contract: ${name}`, () => {
    it('returns one bucket per bucket length of an aligned range, ending at aligned times, for both arms alike', async () => {
      const { provider, target, range } = fixture();
      const series = await provider.fetchBuckets(target, range);
      expectAligned(series, range);
      expect(series.timestamps).toHaveLength((range.endMs - range.startMs) / range.bucketMs);
      expect(series.timestamps[0]).toBe(range.startMs + range.bucketMs);
      expect(series.timestamps.at(-1)).toBe(range.endMs);
    });

    it('keeps only whole buckets of an unaligned range', async () => {
      const { provider, target, range } = fixture();
      const unaligned = {
        ...range,
        startMs: range.startMs - 1,
        endMs: range.endMs + range.bucketMs - 1,
      };
      const series = await provider.fetchBuckets(target, unaligned);
      expectAligned(series, unaligned);
      // The partial bucket at the start is dropped; the one at the end is not whole either.
      expect(series.timestamps[0]).toBe(range.startMs + range.bucketMs);
      expect(series.timestamps.at(-1)).toBe(range.endMs);
    });

    it('returns no buckets for a range shorter than one bucket', async () => {
      const { provider, target, range } = fixture();
      const series = await provider.fetchBuckets(target, {
        ...range,
        startMs: range.startMs + 1,
        endMs: range.startMs + range.bucketMs,
      });
      expect(series.timestamps).toEqual([]);
      expect(series.canary).toEqual([]);
      expect(series.baseline).toEqual([]);
    });

    it('reports finite, non-negative counts with errors no more than requests', async () => {
      const { provider, target, range } = fixture();
      const series = await provider.fetchBuckets(target, range);
      for (const counts of [...series.canary, ...series.baseline]) {
        if (counts) expectCountsValid(counts);
      }
    });

    it('reports buckets without data as null and buckets with data as counts', async () => {
      const { provider, target, range, knownMissing, knownPresent } = fixture();
      const series = await provider.fetchBuckets(target, range);
      const at = (arm: 'canary' | 'baseline', end: number) =>
        series[arm][series.timestamps.indexOf(end)];
      for (const end of knownMissing.canary) expect(at('canary', end)).toBeNull();
      for (const end of knownMissing.baseline) expect(at('baseline', end)).toBeNull();
      for (const end of knownPresent) {
        expect(at('canary', end)).not.toBeNull();
        expect(at('baseline', end)).not.toBeNull();
      }
    });

    it('reports a target the backend has never seen as all missing, never as zeros', async () => {
      const { provider, unknownTarget, range } = fixture();
      const series = await provider.fetchBuckets(unknownTarget, range);
      expect(series.timestamps).toHaveLength((range.endMs - range.startMs) / range.bucketMs);
      expect(series.canary.every((b) => b === null)).toBe(true);
      expect(series.baseline.every((b) => b === null)).toBe(true);
    });

    it('is online while its backend runs', async () => {
      await expect(fixture().provider.isOnline()).resolves.toBeUndefined();
    });

    it('fails with a retryable MetricsUnavailableError when its backend is down', async () => {
      const { offlineProvider, target, range } = fixture();
      const online = offlineProvider.isOnline();
      await expect(online).rejects.toBeInstanceOf(MetricsUnavailableError);
      await expect(online).rejects.toMatchObject({ nonRetryable: false });
      const fetched = offlineProvider.fetchBuckets(target, range);
      await expect(fetched).rejects.toBeInstanceOf(MetricsUnavailableError);
      await expect(fetched).rejects.toMatchObject({ nonRetryable: false });
    });

    it('passes the pre-flight of a target whose stable version has data, without a problem', async () => {
      const { provider, target } = fixture();
      expect(provider.preflight).toBeDefined();
      expect(await provider.preflight?.(target)).toEqual([]);
    });

    it('reports no data for the stable version of a target the backend has never seen as a pre-flight problem naming it', async () => {
      const { impatientProvider, unknownTarget } = fixture();
      const problems = (await impatientProvider.preflight?.(unknownTarget)) ?? [];
      expect(problems).toHaveLength(1);
      expect(problems[0]?.object).toBe(impatientProvider.name);
      expect(problems[0]?.message).toContain(
        `no data for the stable version ${unknownTarget.stableVersion}`,
      );
    });

    it('reports a backend that is down as a pre-flight problem, not an error', async () => {
      const { offlineProvider, target } = fixture();
      const problems = (await offlineProvider.preflight?.(target)) ?? [];
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ object: offlineProvider.name });
      expect(problems[0]?.message).toMatch(/^does not answer: /);
    });
  });
}
