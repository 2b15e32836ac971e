/**
 * Bucket arithmetic and the rules that turn query results into per-arm bucket counts. Pure and
 * workflow-safe, so the rules are tested without Prometheus.
 *
 * Buckets are (end - bucketMs, end] with every end a multiple of bucketMs (epoch-aligned, so two
 * looks at the same window see the same buckets). A range keeps only the buckets that lie wholly
 * inside it: its start is rounded up and its end down to multiples of the bucket length.
 */
import type { BucketCounts } from '../types.js';

/** Ends (epoch ms) of the whole buckets inside (startMs, endMs], oldest first. */
export function bucketEnds(range: { startMs: number; endMs: number; bucketMs: number }): number[] {
  const { startMs, endMs, bucketMs } = range;
  const first = Math.ceil(startMs / bucketMs) * bucketMs + bucketMs;
  const last = Math.floor(endMs / bucketMs) * bucketMs;
  const ends: number[] = [];
  for (let end = first; end <= last; end += bucketMs) ends.push(end);
  return ends;
}

/** What is wrong with a range before anything is asked of a backend (empty when it is fine). */
export function bucketRangeProblems(
  range: { startMs: number; endMs: number; bucketMs: number },
  maxBuckets = 11_000,
): string[] {
  const { startMs, endMs, bucketMs } = range;
  if (!Number.isInteger(bucketMs) || bucketMs < 1000)
    return [
      `bucket length must be a whole number of milliseconds, at least 1000 (got ${bucketMs})`,
    ];
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs))
    return [`range (${startMs}, ${endMs}] must be finite epoch milliseconds`];
  if (endMs < startMs) return [`range end ${endMs} is before its start ${startMs}`];
  const count = Math.floor((endMs - startMs) / bucketMs);
  if (count > maxBuckets)
    return [`range holds ${count} buckets; at most ${maxBuckets} may be asked for at once`];
  return [];
}

/** One arm's query results as value by bucket end (ms); a bucket the query had no value for is absent. */
export interface ArmSamples {
  requests: ReadonlyMap<number, number>;
  errors: ReadonlyMap<number, number>;
  latencySum: ReadonlyMap<number, number>;
  latencyCount: ReadonlyMap<number, number>;
  latencyQuantile?: ReadonlyMap<number, number>;
}

/**
 * One arm's buckets. The rules:
 * - The requests query decides whether the arm has data in a bucket: no value → null (missing).
 *   A value of 0 is real data (the series exist, nothing was served) and stays 0.
 * - With requests present, an absent errors value means no error series had samples in the
 *   bucket — no 5xx ever happened there (error series are created on the first 5xx) — so errors
 *   is 0. This is decided here, per arm and per bucket, and never in PromQL: `or vector(0)` would
 *   also turn an arm with no data at all into zeros.
 * - Likewise absent latency sum/count with requests present → 0 observations (latencyCount 0).
 * - A NaN or ±Inf value of requests, errors or latency sum/count cannot be counted: the whole
 *   bucket is missing for that arm. A NaN quantile (no observations) is simply left out.
 */
export function assembleArm(ends: readonly number[], samples: ArmSamples): (BucketCounts | null)[] {
  return ends.map((end) => {
    const requests = samples.requests.get(end);
    if (requests === undefined) return null;
    const errors = samples.errors.get(end) ?? 0;
    const latencySumMs = samples.latencySum.get(end) ?? 0;
    const latencyCount = samples.latencyCount.get(end) ?? 0;
    if (![requests, errors, latencySumMs, latencyCount].every(Number.isFinite)) return null;
    const counts: BucketCounts = { requests, errors, latencySumMs, latencyCount };
    const quantile = samples.latencyQuantile?.get(end);
    if (quantile !== undefined && Number.isFinite(quantile)) counts.latencyQuantileMs = quantile;
    return counts;
  });
}
