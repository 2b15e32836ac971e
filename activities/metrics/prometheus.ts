/**
 * PrometheusProvider: a release's buckets from Prometheus (or a Thanos/Mimir query frontend).
 *
 * For each arm it asks the preset's (or the spec's) queries — requests, errors, latency sum and
 * count, and optionally a latency quantile. Counts are read from the counters' raw samples and
 * differenced per series at the buckets' boundaries (./bucket-queries.ts, core/metrics/counters.ts):
 * consecutive buckets tile time, nothing is extrapolated, and each bucket holds whole events. A
 * custom template that is not a counter, and the latency quantile, are evaluated as written at
 * step = bucket. Bucket ends are multiples of the bucket (core/metrics/buckets.ts), so both arms
 * share them.
 */
import type { Arm } from '../../core/types.js';
import type { PreflightProblem } from '../../core/preflight.js';
import { parseDuration } from '../../core/duration.js';
import {
  assembleArm,
  bucketEnds,
  bucketRangeProblems,
  type ArmSamples,
} from '../../core/metrics/buckets.js';
import type { MetricsSpec } from '../../core/metrics/config.js';
import { PromqlRenderError, type QueryName } from '../../core/metrics/promql.js';
import {
  armQueryPlan,
  renderArmQueries,
  type ArmQuery,
  type ArmQueryPlan,
  type RenderedQueries,
} from '../../core/metrics/render.js';
import type { BucketSeries } from '../../core/types.js';
import { MetricsConfigError, MetricsError, MetricsUnavailableError } from './errors.js';
import { fetchQueryValues, type QueryValues } from './bucket-queries.js';
import { PrometheusClient } from './prometheus-client.js';
import { bucketIntervalProblem, scrapeIntervalOf } from './scrape-interval.js';
import type { PrometheusEndpoint } from './sources.js';
import { fetchTrustingCa } from './tls-fetch.js';
import type { BucketRange, MetricsProvider, MetricsTarget } from './types.js';

/** Buckets plus the warnings Prometheus sent with them (each prefixed with the query it came from). */
export interface PrometheusBuckets extends BucketSeries {
  warnings: string[];
}

export interface PrometheusProviderDeps {
  /**
   * Where and how to query, resolved from the operator's metrics sources (./sources.ts). Without
   * it: the spec's address, else `defaultAddress`, with the spec's headers and no credentials.
   */
  endpoint?: PrometheusEndpoint;
  fetch?: typeof fetch;
  /** Clock for leaving out buckets that have not ended yet; default Date.now. */
  now?: () => number;
  /** Address when there is no endpoint and the spec names none. */
  defaultAddress?: string;
  /**
   * How long the pre-flight waits for the stable version's data to appear before reporting none
   * (default 10 s): a series scraped once has no increase() yet, and a freshly started service
   * or Prometheus needs a scrape or two.
   */
  preflightWaitMs?: number;
}

/** How far back the pre-flight looks for the stable version's requests. */
export const PREFLIGHT_LOOKBACK_MS = 5 * 60_000;

/** Where Prometheus is when neither the spec nor the worker says. */
export const FALLBACK_PROMETHEUS_ADDRESS = 'http://127.0.0.1:9090';

const ARMS: readonly Arm[] = ['baseline', 'canary'];

export class PrometheusProvider implements MetricsProvider {
  readonly name: string;
  private readonly client: PrometheusClient;
  private readonly now: () => number;
  private readonly preflightWaitMs: number;

  constructor(
    private readonly spec: MetricsSpec,
    deps: PrometheusProviderDeps = {},
  ) {
    const timeoutMs = parseDuration(spec.timeout);
    if (timeoutMs === undefined || timeoutMs <= 0)
      throw new MetricsConfigError(`analysis.metrics.timeout "${spec.timeout}" is not a duration`);
    const endpoint = deps.endpoint ?? {
      address: spec.address ?? deps.defaultAddress ?? FALLBACK_PROMETHEUS_ADDRESS,
      headers: { ...spec.headers },
      trusted: true,
    };
    this.client = new PrometheusClient({
      address: endpoint.address,
      ...(endpoint.auth ? { auth: endpoint.auth } : {}),
      headers: endpoint.headers,
      timeoutMs,
      fetch: deps.fetch ?? (endpoint.ca !== undefined ? fetchTrustingCa(endpoint.ca) : undefined),
      trusted: endpoint.trusted,
    });
    this.name = `prometheus ${this.client.address}`;
    this.now = deps.now ?? Date.now;
    this.preflightWaitMs = deps.preflightWaitMs ?? 10_000;
  }

  /**
   * The server answers an instant query of the stable arm's request counter (the release's own
   * `requests` query, with a bucket of PREFLIGHT_LOOKBACK_MS) with at least one series; a problem
   * otherwise. Waits up to `preflightWaitMs` for data to appear, never for a server that fails.
   * With `bucketMs`, a counter's scrape interval must also allow that bucket
   * (./scrape-interval.ts: bucket ≥ 2 × scrape interval).
   */
  async preflight(
    target: MetricsTarget,
    options: { signal?: AbortSignal; bucketMs?: number } = {},
  ): Promise<PreflightProblem[]> {
    const found = await this.stablePresence(target, options);
    if (found.length > 0 || options.bucketMs === undefined) return found;
    const requests = this.plan(target, options.bucketMs).baseline.requests;
    if (requests.kind !== 'counter') return [];
    const description = 'the pre-flight reading of the scrape interval';
    try {
      const interval = await scrapeIntervalOf(this.client, requests.selector, this.now(), {
        description,
        signal: options.signal,
      });
      const problem = interval && bucketIntervalProblem(options.bucketMs, interval);
      return problem ? [{ object: this.name, message: problem }] : [];
    } catch (error) {
      if (!(error instanceof MetricsError) || !error.nonRetryable) throw error;
      return [{ object: this.name, message: `cannot be used: ${error.message}` }];
    }
  }

  private async stablePresence(
    target: MetricsTarget,
    options: { signal?: AbortSignal },
  ): Promise<PreflightProblem[]> {
    const query = this.queries(target, PREFLIGHT_LOOKBACK_MS).baseline.requests;
    const description = `the pre-flight query of requests for the stable version`;
    const deadline = Date.now() + this.preflightWaitMs;
    for (;;) {
      let series: number;
      try {
        const result = await this.client.query(query, { description, signal: options.signal });
        series = result.series.length;
      } catch (error) {
        if (!(error instanceof MetricsError)) throw error;
        const what =
          error instanceof MetricsUnavailableError ? 'does not answer' : 'cannot be used';
        return [{ object: this.name, message: `${what}: ${error.message}` }];
      }
      if (series > 0) return [];
      if (Date.now() >= deadline || options.signal?.aborted)
        return [
          {
            object: this.name,
            message: `has no data for the stable version ${target.stableVersion} of ${target.namespace}/${target.service} in the last ${PREFLIGHT_LOOKBACK_MS / 60_000} minutes (${query} returned no series): check the metrics preset and its labels, and that the stable pods are scraped`,
          },
        ];
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /** The PromQL each arm runs for a target and bucket length (for people, the API and tests). */
  queries(target: MetricsTarget, bucketMs: number): Record<Arm, RenderedQueries> {
    return this.rendering(target, () => ({
      baseline: renderArmQueries(this.spec, target, 'baseline', bucketMs),
      canary: renderArmQueries(this.spec, target, 'canary', bucketMs),
    }));
  }

  /** How each arm's queries are asked: counters read at boundaries, or expressions. */
  plan(target: MetricsTarget, bucketMs: number): Record<Arm, ArmQueryPlan> {
    return this.rendering(target, () => ({
      baseline: armQueryPlan(this.spec, target, 'baseline', bucketMs),
      canary: armQueryPlan(this.spec, target, 'canary', bucketMs),
    }));
  }

  private rendering<T>(target: MetricsTarget, render: () => T): T {
    try {
      return render();
    } catch (error) {
      if (error instanceof PromqlRenderError)
        throw new MetricsConfigError(
          `cannot build queries for ${target.namespace}/${target.service}: ${error.message}`,
          { cause: error },
        );
      throw error;
    }
  }

  async fetchBuckets(
    target: MetricsTarget,
    range: BucketRange,
    options: { signal?: AbortSignal } = {},
  ): Promise<PrometheusBuckets> {
    const problems = bucketRangeProblems(range);
    if (problems.length > 0)
      throw new MetricsConfigError(`cannot fetch buckets: ${problems.join('; ')}`);
    const plan = this.plan(target, range.bucketMs);
    const timestamps = bucketEnds(range);
    // Buckets that have not ended yet would be partial: they are not asked for and stay missing.
    const lastEnded = Math.floor(this.now() / range.bucketMs) * range.bucketMs;
    const asked = timestamps.filter((end) => end <= lastEnded);
    const series: PrometheusBuckets = {
      bucketMs: range.bucketMs,
      timestamps,
      canary: timestamps.map(() => null),
      baseline: timestamps.map(() => null),
      warnings: [],
    };
    if (asked.length === 0) return series;

    const jobs = ARMS.flatMap((arm) =>
      (Object.entries(plan[arm]) as [QueryName, ArmQuery][]).map(([name, query]) => ({
        arm,
        name,
        query,
        description: `query '${name}' for ${arm}`,
      })),
    );
    const settled = await Promise.allSettled(
      jobs.map((job) =>
        fetchQueryValues(
          this.client,
          job.query,
          { ends: asked, bucketMs: range.bucketMs },
          { description: job.description, signal: options.signal },
        ),
      ),
    );
    throwFirstFailure(settled);

    const samples: Record<Arm, Partial<Record<QueryName, ReadonlyMap<number, number>>>> = {
      baseline: {},
      canary: {},
    };
    jobs.forEach((job, i) => {
      const result = (settled[i] as PromiseFulfilledResult<QueryValues>).value;
      samples[job.arm][job.name] = result.values;
      series.warnings.push(...result.warnings.map((w) => `${job.description}: ${w}`));
    });
    for (const arm of ARMS) {
      series[arm] = assembleArm(timestamps, samples[arm] as ArmSamples);
    }
    return series;
  }

  async isOnline(signal?: AbortSignal): Promise<void> {
    await this.client.ready(signal);
  }
}

/**
 * Rethrows the most telling failure: an error that retrying cannot fix comes before a transient
 * one (a broken template stays broken however often a timeout is retried), then anything else.
 */
function throwFirstFailure(settled: PromiseSettledResult<unknown>[]): void {
  const reasons = settled
    .filter((s): s is PromiseRejectedResult => s.status === 'rejected')
    .map((s) => s.reason as unknown);
  if (reasons.length === 0) return;
  const permanent = reasons.find((r) => r instanceof MetricsError && r.nonRetryable);
  throw permanent ?? reasons.find((r) => r instanceof MetricsError) ?? reasons[0];
}
