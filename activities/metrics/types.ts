/**
 * MetricsProvider: where the judge's samples come from. Implementations (prometheus.ts) pass the
 * contract suite in test/contract/metrics-provider.contract.ts.
 */
import type { PreflightProblem } from '../../core/preflight.js';
import type { BucketSeries } from '../../core/types.js';

/** Who the buckets are for: identifies the canary and baseline series. */
export interface MetricsTarget {
  releaseId: string;
  namespace: string;
  service: string;
  stableVersion: string;
  canaryVersion: string;
}

/**
 * A time range cut into aligned, non-overlapping buckets: (startMs, endMs], bucketMs long. Bucket
 * ends are multiples of bucketMs (epoch-aligned); only buckets wholly inside the range are
 * returned, so an aligned range gives (endMs - startMs) / bucketMs buckets. See
 * core/metrics/buckets.ts.
 */
export interface BucketRange {
  startMs: number;
  endMs: number;
  bucketMs: number;
}

export interface MetricsProvider {
  /** For messages: "prometheus http://127.0.0.1:9090". */
  readonly name: string;
  /**
   * Buckets of requests, errors, latency sum and count for both arms, on the same bucket ends.
   * Buckets where an arm has no data are null for that arm — never zeros; "no data at all" is a
   * result, not an error (core/metrics/coverage.ts tells how many buckets both arms have).
   * Buckets that have not ended yet are null. Throws MetricsUnavailableError (retryable) when the
   * backend cannot answer now, MetricsQueryError (non-retryable, names the query and the arm) when
   * a query is wrong, MetricsConfigError (non-retryable) when credentials or the address are wrong.
   */
  fetchBuckets(
    target: MetricsTarget,
    range: BucketRange,
    options?: { signal?: AbortSignal },
  ): Promise<BucketSeries & { warnings?: string[] }>;
  /**
   * Resolves when the backend answers (for the API's readiness endpoint); throws
   * MetricsUnavailableError when it cannot be reached or is not ready, MetricsConfigError when it
   * rejects our credentials.
   */
  isOnline(): Promise<void>;
  /**
   * What stands in the way of judging `target`, checked before a release's first change: the
   * backend answers and has data for the stable version, and (given `bucketMs`) the bucket is at
   * least two scrape intervals of that data long. Throws only errors a retry may fix.
   */
  preflight?(
    target: MetricsTarget,
    options?: { signal?: AbortSignal; bucketMs?: number },
  ): Promise<PreflightProblem[]>;
}
