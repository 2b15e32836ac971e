/**
 * Counts that are counts: the events each bucket holds, from the raw samples of the counters
 * themselves rather than from `increase()`. Pure and workflow-safe, so the rules are tested
 * without Prometheus; docs/metrics.md explains them for people.
 *
 * Why not `increase(x[bucket])` at step = bucket: it sees only the change between the first and
 * the last sample inside each bucket and extrapolates it to the bucket's length. The increments
 * between the last sample of one bucket and the first of the next are in no bucket, the rest are
 * scaled up, and the counts are no longer Poisson: their variance grows by about
 * bucket / (bucket − scrape interval), which makes every count test overconfident.
 *
 * The rule here: each series' samples are differenced sample by sample and every increment is
 * put in the bucket that holds the later sample, (end − bucket, end]. So a bucket holds what the
 * exporter counted between its target's last scrape before the bucket's start and its last scrape
 * before the bucket's end: consecutive buckets tile time, and every increment observed between
 * the anchor and the last bucket's end lands in exactly one bucket, unscaled.
 * - Anchor: a series' last value in the hour before the first bucket's start is its value before
 *   the window. Without one, the series is new: its first sample is counted from 0 (the
 *   exporter created it with that count after its previous scrape — the first 5xx of a version,
 *   a new pod's first requests), which `increase()` never counts. (A series that Prometheus
 *   scrapes for the very first time inside the window although its process ran long before — a
 *   Prometheus started during the release — has its whole history counted there.)
 * - Resets: a sample lower than the one before is a counter reset (a restarted process); the
 *   increment is the new value, as Prometheus itself counts resets.
 * - Presence: a bucket has a value for a query when at least one of its series has a sample in
 *   it (0 when nothing moved); no sample of any series → no value (missing, never 0).
 * - A NaN or infinite sample cannot be counted and is skipped (the next sample is differenced
 *   against the last countable one).
 */

/** One raw sample of a counter series. */
export interface CounterSample {
  timestampMs: number;
  value: number;
}

/** One series: its value before the window (when it had one), and its samples inside it. */
export interface CounterSeries {
  /** The series' last value at or before the first bucket's start, within the anchor lookback. */
  anchor?: number;
  /** Samples in time order; those outside the window are ignored. */
  samples: readonly CounterSample[];
}

/**
 * How far before the first bucket a series' last value still anchors it: an hour, so that a
 * Prometheus or target outage of up to an hour does not make old series look new (and count their
 * whole history). Far longer would make Prometheus read every sample of that span.
 */
export const COUNTER_ANCHOR_LOOKBACK_MS = 60 * 60_000;

export interface CounterWindow {
  /** Bucket ends, oldest first, consecutive multiples of bucketMs (core/metrics/buckets.ts). */
  ends: readonly number[];
  bucketMs: number;
}

/** The first bucket's start and the last bucket's end, or undefined for no bucket. */
export function counterWindowSpan(
  window: CounterWindow,
): { startMs: number; endMs: number } | undefined {
  const first = window.ends[0];
  const last = window.ends[window.ends.length - 1];
  if (first === undefined || last === undefined) return undefined;
  return { startMs: first - window.bucketMs, endMs: last };
}

/**
 * The summed increments of `series` in each bucket of the window, by bucket end; a bucket where
 * no series has a sample is absent.
 */
export function counterBuckets(
  series: readonly CounterSeries[],
  window: CounterWindow,
): Map<number, number> {
  const { bucketMs } = window;
  const totals = new Map<number, number>();
  const span = counterWindowSpan(window);
  if (span === undefined) return totals;
  for (const { anchor, samples } of series) {
    let previous = anchor !== undefined && Number.isFinite(anchor) ? anchor : undefined;
    for (const { timestampMs: t, value } of samples) {
      if (t <= span.startMs || !Number.isFinite(value)) continue;
      if (t > span.endMs) break;
      const increment = previous === undefined || value < previous ? value : value - previous;
      const end = Math.ceil(t / bucketMs) * bucketMs;
      totals.set(end, (totals.get(end) ?? 0) + increment);
      previous = value;
    }
  }
  return totals;
}
