/**
 * The pre-flight's check of the bucket against the scrape interval of the series a release reads.
 *
 * The rule: analysis.bucket ≥ 2 × scrape interval (MIN_SCRAPES_PER_BUCKET, core/capabilities.ts). Buckets are read at
 * their boundaries from each series' last scrape (core/metrics/counters.ts), so a bucket holds what
 * happened between two scrapes of each target. With two or more scrapes per bucket, every series
 * has a sample in every bucket even when one scrape fails or lands late, so no bucket is left
 * empty (missing) and its events pushed into the next one; and the offset between the canary's
 * and the stable's scrapes (up to one interval: targets are scraped at different phases) is at
 * most half a bucket, so the arms' buckets cover mostly the same time. At one scrape per bucket
 * a single late scrape empties a bucket; below that, buckets have no data at all.
 *
 * Where the interval comes from, first found wins:
 * 1. the operator's config (`metricsSources.<name>.scrapeInterval`): checked at submission, not here;
 * 2. `/api/v1/targets`: the scrapeInterval of the active targets of the jobs the release's stable
 *    series carry (`count by (job)` of its requests counter), the longest of them;
 * 3. the samples themselves: the median spacing of the stable requests series' samples in the
 *    last 5 minutes (query frontends such as Thanos and Mimir serve no targets).
 */
import { MIN_SCRAPES_PER_BUCKET } from '../../core/capabilities.js';
import { formatDuration, parseDuration } from '../../core/duration.js';
import { promDuration } from '../../core/metrics/promql.js';
import { MetricsError } from './errors.js';
import type { CallOptions, PrometheusClient } from './prometheus-client.js';

/** How far back the series are looked at. */
const LOOKBACK_MS = 5 * 60_000;

export interface ScrapeInterval {
  intervalMs: number;
  /** Where it was read, for the message: `job "app" (/api/v1/targets)`. */
  source: string;
}

/** The scrape interval behind a counter's series at `atMs`, or undefined when it cannot be told. */
export async function scrapeIntervalOf(
  client: PrometheusClient,
  selector: string,
  atMs: number,
  options: CallOptions,
): Promise<ScrapeInterval | undefined> {
  const lookback = promDuration(LOOKBACK_MS);
  const byJob = await client.query(`count by (job) (last_over_time(${selector}[${lookback}]))`, {
    ...options,
    timeMs: atMs,
  });
  const jobs = byJob.series.map((s) => s.labels.job).filter((j): j is string => !!j);
  if (byJob.series.length === 0) return undefined;
  const fromTargets = await intervalFromTargets(client, jobs, options);
  if (fromTargets) return fromTargets;
  const raw = await client.query(`${selector}[${lookback}]`, { ...options, timeMs: atMs });
  const spacings = raw.series.flatMap((s) =>
    s.points.slice(1).map((p, i) => p.timestampMs - (s.points[i]?.timestampMs ?? 0)),
  );
  if (spacings.length === 0) return undefined;
  spacings.sort((a, b) => a - b);
  const median = spacings[Math.floor(spacings.length / 2)] as number;
  return { intervalMs: median, source: 'the spacing of its samples' };
}

async function intervalFromTargets(
  client: PrometheusClient,
  jobs: readonly string[],
  options: CallOptions,
): Promise<ScrapeInterval | undefined> {
  if (jobs.length === 0) return undefined;
  let targets: Awaited<ReturnType<PrometheusClient['targetIntervals']>>;
  try {
    targets = await client.targetIntervals(options);
  } catch (error) {
    // a backend that does not serve targets the usual way: fall back to the samples
    if (error instanceof MetricsError && error.nonRetryable) return undefined;
    throw error;
  }
  let found: ScrapeInterval | undefined;
  for (const target of targets ?? []) {
    const ms = parseDuration(target.scrapeInterval);
    if (!jobs.includes(target.job) || ms === undefined) continue;
    if (!found || ms > found.intervalMs)
      found = { intervalMs: ms, source: `job "${target.job}" (/api/v1/targets)` };
  }
  return found;
}

/** The problem with a bucket too short for the interval, as a sentence naming analysis.bucket. */
export function bucketIntervalProblem(
  bucketMs: number,
  interval: ScrapeInterval,
): string | undefined {
  if (bucketMs >= MIN_SCRAPES_PER_BUCKET * interval.intervalMs) return undefined;
  const needed = MIN_SCRAPES_PER_BUCKET * interval.intervalMs;
  return `analysis.bucket ${formatDuration(bucketMs)} is shorter than ${MIN_SCRAPES_PER_BUCKET} × the scrape interval of the stable version's series (${formatDuration(interval.intervalMs)}, from ${interval.source}): every series needs at least ${MIN_SCRAPES_PER_BUCKET} scrapes in each bucket, so set analysis.bucket to ${formatDuration(needed)} or more`;
}
