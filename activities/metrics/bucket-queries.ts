/**
 * How the provider asks Prometheus for one query's buckets (core/metrics/render.ts plans them):
 * - a counter (every preset's counts): two instant queries (POSTed): each series' value before
 *   the window, `last_over_time(selector[1h])` at the first bucket's start, and the raw samples
 *   inside it, `selector[window]` at the last bucket's end (core/metrics/counters.ts). A range
 *   selector returns every stored sample, per series,
 *   without lookback or staleness rules: a series that went stale still gives its last samples, and
 *   a scrape that failed leaves only a longer gap between two samples. The samples are differenced
 *   per series here, resets handled, and summed per bucket — exact counts, no extrapolation;
 * - an expression (custom templates that are not a counter, the latency quantile): one
 *   `/api/v1/query_range` at step = bucket, its value at each end taken as written.
 */
import { foreignMessage } from '../../core/foreign-text.js';
import {
  COUNTER_ANCHOR_LOOKBACK_MS,
  counterBuckets,
  counterWindowSpan,
} from '../../core/metrics/counters.js';
import { promDuration } from '../../core/metrics/promql.js';
import type { ArmQuery } from '../../core/metrics/render.js';
import { MetricsQueryError } from './errors.js';
import type { CallOptions, PrometheusClient, QueryResult } from './prometheus-client.js';

/** One query's values by bucket end, and the warnings Prometheus sent with them. */
export interface QueryValues {
  values: Map<number, number>;
  warnings: string[];
}

/** The values of `query` at `ends` (consecutive, oldest first), however the query is asked. */
export async function fetchQueryValues(
  client: PrometheusClient,
  query: ArmQuery,
  window: { ends: readonly number[]; bucketMs: number },
  options: CallOptions & { description: string },
): Promise<QueryValues> {
  const first = window.ends[0];
  const last = window.ends[window.ends.length - 1];
  if (first === undefined || last === undefined) return { values: new Map(), warnings: [] };
  if (query.kind === 'expression') {
    const result = await client.queryRange(
      { query: query.query, startMs: first, endMs: last, stepMs: window.bucketMs },
      options,
    );
    return { values: valuesByEnd(result, options.description), warnings: result.warnings };
  }
  const span = counterWindowSpan(window) as { startMs: number; endMs: number };
  const post = { ...options, post: true };
  const [anchors, inside] = await Promise.all([
    client.query(`last_over_time(${query.selector}[${promDuration(COUNTER_ANCHOR_LOOKBACK_MS)}])`, {
      ...post,
      timeMs: span.startMs,
    }),
    client.query(`${query.selector}[${promDuration(span.endMs - span.startMs)}]`, {
      ...post,
      timeMs: span.endMs,
    }),
  ]);
  const anchorOf = new Map(
    anchors.series.map((s) => [seriesKey(s.labels), s.points[0]?.value] as const),
  );
  const totals = counterBuckets(
    inside.series.map((s) => ({ anchor: anchorOf.get(seriesKey(s.labels)), samples: s.points })),
    window,
  );
  const values = new Map<number, number>();
  for (const [end, total] of totals) values.set(end, total * query.scale);
  return { values, warnings: [...anchors.warnings, ...inside.warnings] };
}

/** A series' identity across queries: its labels without the metric name (functions drop it). */
function seriesKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(
    Object.entries(labels)
      .filter(([name]) => name !== '__name__')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/** An expression's values by bucket end; it must be aggregated to at most one series of non-negative values. */
function valuesByEnd(result: QueryResult, description: string): Map<number, number> {
  if (result.series.length > 1) {
    const example = foreignMessage(JSON.stringify(result.series[0]?.labels ?? {}), 200);
    throw new MetricsQueryError(
      `${description} returned ${result.series.length} series (e.g. ${example}); aggregate it to one, e.g. sum(...)`,
    );
  }
  const values = new Map<number, number>();
  for (const point of result.series[0]?.points ?? []) {
    if (point.value < 0) {
      throw new MetricsQueryError(
        `${description} returned ${point.value} at ${new Date(point.timestampMs).toISOString()}; counts cannot be negative (use increase(), not a difference)`,
      );
    }
    values.set(point.timestampMs, point.value);
  }
  return values;
}
