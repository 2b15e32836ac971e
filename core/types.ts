/**
 * Shapes shared by workflows, activities, the API and the CLI. Pure types: no I/O, workflow-safe.
 */

/** Which side of the comparison a series belongs to. The baseline is the stable version. */
export type Arm = 'canary' | 'baseline';

/**
 * Counts observed in one non-overlapping time bucket for one arm — what Prometheus
 * `increase(x[b])` evaluated at step `b` returns. Latency is a sum and a count, so the bucket's
 * mean latency is latencySumMs / latencyCount.
 */
export interface BucketCounts {
  requests: number;
  errors: number;
  latencySumMs: number;
  latencyCount: number;
  /** Optional per-bucket latency quantile (e.g. p99 from histogram_quantile), in milliseconds. */
  latencyQuantileMs?: number;
}

/**
 * Aligned buckets for both arms over one time range. `timestamps[i]` is the end of bucket i in
 * epoch milliseconds; `canary[i]` and `baseline[i]` are that bucket's counts, or null when the arm
 * had no data in that bucket (missing is never reported as zero).
 */
export interface BucketSeries {
  bucketMs: number;
  timestamps: number[];
  canary: (BucketCounts | null)[];
  baseline: (BucketCounts | null)[];
}

/** Weights of the two destinations a router manages, in percent; they always sum to 100. */
export interface Weights {
  stable: number;
  canary: number;
}

/** The verdict of one analysis look. */
export type Verdict = 'pass' | 'fail' | 'inconclusive';
