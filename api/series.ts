/**
 * The per-bucket series of a release for the dashboard's charts, read from the release's own
 * metrics source with the worker's provider (activities/metrics/factory.ts metricsProviders) over the
 * release's own time range, and turned into per-metric values with the judge's own rule
 * (core/judge/metrics.ts metricValue). Nothing in the request picks the source, the range or the
 * query: the spec the release started with does (its start event, client/run-history.ts).
 */
import type { MetricsProvider } from '../activities/metrics/types.js';
import { MetricsError } from '../activities/metrics/errors.js';
import { metricValue } from '../core/judge/metrics.js';
import type { MetricId } from '../core/judge/decision.js';
import { analysisBucketMs, planSteps } from '../core/plan.js';
import type { ReleaseSpec, SubmittedSpec } from '../core/spec.js';
import type { BucketCounts, BucketSeries } from '../core/types.js';
import type { ReleaseStatus } from '../workflows/messages.js';
import type { ApiLogger } from './context.js';
import { METRIC_IDS, type ArmSeries, type ReleaseSeries } from './ui-schemas.js';

/** The most buckets one answer holds (Prometheus answers at most 11,000 points per series). */
export const MAX_SERIES_BUCKETS = 4000;

/** One arm's buckets as the charts draw them: every metric by the judge's rule, null: no value. */
export function armSeries(buckets: readonly (BucketCounts | null)[]): ArmSeries {
  const of = (metric: MetricId) => buckets.map((b) => (b ? metricValue(metric, b) : null));
  return {
    requests: buckets.map((b) => (b ? b.requests : null)),
    errorRate: of('errorRate'),
    latencyMean: of('latencyMean'),
    latencyQuantile: of('latencyQuantile'),
  };
}

/** The metrics the spec's judge compares, in the judge's order. */
export function judgedMetrics(spec: SubmittedSpec): MetricId[] {
  return METRIC_IDS.filter((m) => spec.analysis.judge[m].enabled);
}

/**
 * The bucket range of a release: from the bucket holding its start to the last whole bucket before
 * it ended (or now), the latest MAX_SERIES_BUCKETS of them. Undefined before one bucket has ended.
 */
export function seriesRange(
  status: Pick<ReleaseStatus, 'startedAt' | 'finishedAt'>,
  bucketMs: number,
  now: number,
): { startMs: number; endMs: number; bucketMs: number; truncated: boolean } | undefined {
  const started = Date.parse(status.startedAt);
  const ended = status.finishedAt ? Math.min(Date.parse(status.finishedAt), now) : now;
  const startMs = Math.floor(started / bucketMs) * bucketMs;
  const endMs = Math.floor(ended / bucketMs) * bucketMs;
  if (!(endMs > startMs)) return undefined;
  const earliest = endMs - MAX_SERIES_BUCKETS * bucketMs;
  return { startMs: Math.max(startMs, earliest), endMs, bucketMs, truncated: earliest > startMs };
}

/** Why the series could not be read, in words that never repeat the metrics server's answer. */
function seriesProblem(error: unknown): string {
  if (error instanceof MetricsError) {
    switch (error.kind) {
      case 'unavailable':
        return 'the metrics source did not answer; the charts show the per-look numbers only';
      case 'forbidden':
      case 'config':
        return "this API cannot query the release's metrics source (its address or credentials are not configured here); the charts show the per-look numbers only";
      default:
        return "the metrics source refused the release's queries; the charts show the per-look numbers only";
    }
  }
  return 'the per-bucket series could not be read; the charts show the per-look numbers only';
}

export interface SeriesInputs {
  releaseId: string;
  spec: SubmittedSpec;
  status: ReleaseStatus;
  /** Undefined: this API has no metrics access (the charts use the decisions' numbers). */
  metricsFor: ((spec: ReleaseSpec) => MetricsProvider) | undefined;
  now: number;
  logger: ApiLogger;
  signal?: AbortSignal;
}

/** The release's plan and its series, or the reason there are none. */
export async function releaseSeries(inputs: SeriesInputs): Promise<ReleaseSeries> {
  const { spec, status } = inputs;
  const bucketMs = analysisBucketMs(spec);
  const base = {
    id: inputs.releaseId,
    bucketMs,
    plan: planSteps(spec).map(({ index, weight, observeMs, approval }) => ({
      index,
      weight,
      observeMs,
      approval,
    })),
    judged: judgedMetrics(spec),
  };
  if (!inputs.metricsFor)
    return {
      ...base,
      series: null,
      seriesProblem:
        'this API is not configured to read metrics; the charts show the per-look numbers only',
    };
  const range = seriesRange(status, bucketMs, inputs.now);
  const stableVersion = status.stableVersion ?? spec.stableVersion ?? null;
  if (!range || !stableVersion)
    return { ...base, series: null, seriesProblem: 'no bucket of this release has ended yet' };
  let buckets: BucketSeries;
  try {
    buckets = await inputs.metricsFor({ ...spec, stableVersion }).fetchBuckets(
      {
        releaseId: spec.releaseId,
        namespace: spec.namespace,
        service: spec.service,
        stableVersion,
        canaryVersion: spec.canaryVersion,
      },
      { startMs: range.startMs, endMs: range.endMs, bucketMs },
      inputs.signal ? { signal: inputs.signal } : {},
    );
  } catch (error) {
    inputs.logger.error(
      { err: error, releaseId: inputs.releaseId },
      "cannot read the release's series for the dashboard",
    );
    return { ...base, series: null, seriesProblem: seriesProblem(error) };
  }
  return {
    ...base,
    series: {
      from: new Date(range.startMs).toISOString(),
      to: new Date(range.endMs).toISOString(),
      truncated: range.truncated,
      timestamps: buckets.timestamps,
      canary: armSeries(buckets.canary),
      baseline: armSeries(buckets.baseline),
    },
    seriesProblem: null,
  };
}
