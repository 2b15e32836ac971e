/**
 * MetricsProvider: where the judge's samples come from. Implementations (prometheus.ts) pass the
 * contract suite in test/contract/metrics-provider.contract.ts.
 */
import type { BucketSeries } from '../../core/types.js';

/** Who the buckets are for: identifies the canary and baseline series. */
export interface MetricsTarget {
  releaseId: string;
  namespace: string;
  service: string;
  stableVersion: string;
  canaryVersion: string;
}

/** A time range cut into aligned, non-overlapping buckets: (startMs, endMs], bucketMs long. */
export interface BucketRange {
  startMs: number;
  endMs: number;
  bucketMs: number;
}

export interface MetricsProvider {
  /** For messages: "prometheus http://127.0.0.1:9090". */
  readonly name: string;
  /**
   * Buckets of requests, errors, latency sum and count for both arms. Buckets where an arm has no
   * data are null for that arm. Throws MetricsUnavailableError (retryable) when the backend cannot
   * be reached, MetricsQueryError (non-retryable, names the query) when a query is wrong.
   */
  fetchBuckets(target: MetricsTarget, range: BucketRange): Promise<BucketSeries>;
  /** Resolves when the backend answers; throws MetricsUnavailableError otherwise. */
  isOnline(): Promise<void>;
}
