/**
 * PrometheusProvider's own rules, with a typed fake `fetch` in place of Prometheus: what it asks
 * for, how it turns answers into buckets, which failure wins, and how it is built from a spec.
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { toActivityFailure } from '../../activities/errors.js';
import {
  MetricsConfigError,
  MetricsQueryError,
  MetricsUnavailableError,
} from '../../activities/metrics/errors.js';
import { createMetricsProvider } from '../../activities/metrics/factory.js';
import { PrometheusProvider } from '../../activities/metrics/prometheus.js';
import {
  resolveEndpoint,
  resolveSourceAuth,
  type MetricsSources,
} from '../../activities/metrics/sources.js';
import { metricsSpecSchema, type MetricsSpec } from '../../core/metrics/config.js';

const S = 1000;
const B = 60 * S;
const T0 = 1_700_000_040_000; // a multiple of 60 s
const target = {
  releaseId: 'r1',
  namespace: 'shop',
  service: 'checkout',
  stableVersion: 'v1',
  canaryVersion: 'v2',
};
const range = { startMs: T0, endMs: T0 + 3 * B, bucketMs: B };

interface Asked {
  url: string;
  form: URLSearchParams;
  headers: Headers;
}
type Answer = { status?: number; body: unknown };

/** A fetch that answers range (POST) and instant (GET) queries by a function of the query text. */
function fakeFetch(
  answer: (query: string, asked: Asked) => Answer,
  asked: Asked[] = [],
): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const request: Asked = {
      url: String(input),
      form: new URLSearchParams(String(init?.body ?? '')),
      headers: new Headers(init?.headers),
    };
    asked.push(request);
    const query = request.form.get('query') ?? new URL(request.url).searchParams.get('query') ?? '';
    const reply = query.startsWith('last_over_time(')
      ? anchorsFrom(answer(query.slice(15, query.lastIndexOf('[')), request), request)
      : answer(query, request);
    return new Response(JSON.stringify(reply.body), {
      status: reply.status ?? 200,
      headers: { 'Content-Type': 'application/json' },
    });
  }) as typeof fetch;
}

/**
 * A counter's values before the window, as Prometheus answers `last_over_time(x[1h])` at the
 * window's start: each series' last sample at or before that time, from the same fake data.
 */
function anchorsFrom(reply: Answer, request: Asked): Answer {
  const at = Number(request.form.get('time')) * 1000;
  const body = reply.body as {
    data?: { result?: { metric: object; values?: [number, string][] }[] };
  };
  const result = (body.data?.result ?? []).flatMap((s) => {
    const before = (s.values ?? []).filter(([t]) => t * 1000 <= at).at(-1);
    return before ? [{ metric: s.metric, value: before }] : [];
  });
  return { body: { status: 'success', data: { resultType: 'vector', result } } };
}

const matrix = (points: [number, string][], extra: Record<string, unknown> = {}) => ({
  body: {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: points.length ? [{ metric: {}, values: points.map(([t, v]) => [t / 1000, v]) }] : [],
    },
    ...extra,
  },
});
/** Raw counter samples, one entry per series: [time ms, value] pairs. */
const samples = (...series: [number, string][][]) => ({
  body: {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: series.map((points, i) => ({
        metric: { pod: `p${i}` },
        values: points.map(([t, v]) => [t / 1000, v]),
      })),
    },
  },
});
/** Custom templates evaluated as written (not counters), for the expression path's rules. */
const EXPRESSIONS = {
  preset: 'custom',
  queries: {
    requests: 'sum(rate(req_total{v="{{version}}"}[{{bucket}}])) * 60',
    errors: 'sum(rate(req_total{v="{{version}}",code="500"}[{{bucket}}])) * 60',
    latencySum: 'sum(rate(lat_sum{v="{{version}}"}[{{bucket}}])) * 60',
    latencyCount: 'sum(rate(lat_count{v="{{version}}"}[{{bucket}}])) * 60',
  },
};
const spec = (metrics: Record<string, unknown> = {}): MetricsSpec =>
  metricsSpecSchema.parse(metrics);
const provider = (
  answer: (query: string, asked: Asked) => Answer,
  options: { metrics?: Record<string, unknown>; asked?: Asked[]; now?: number } = {},
) =>
  new PrometheusProvider(spec(options.metrics), {
    fetch: fakeFetch(answer, options.asked),
    now: () => options.now ?? T0 + 10 * B,
  });

describe('PrometheusProvider.fetchBuckets', () => {
  it('reads each count from its counters’ raw samples in one instant query, and sums every series’ increments per bucket', async () => {
    const asked: Asked[] = [];
    const series = await provider(
      (query) => {
        const canary = query.includes('destination_version="v2"');
        // a new error series in the canary: its first sample (2) is counted from 0
        if (query.includes('response_code'))
          return canary ? samples([[T0 + B + 30 * S, '2']]) : samples();
        if (query.includes('_sum'))
          return samples([
            [T0 - 10 * S, '500'],
            [T0 + 30 * S, '2500'],
            [T0 + B + 30 * S, '4500'],
          ]);
        // two pods; the second restarts (100 → 40) in bucket 2: its increment is 40
        return samples(
          [
            [T0 - 10 * S, '1000'],
            [T0 + 30 * S, '1060'],
            [T0 + B + 30 * S, '1120'],
          ],
          [
            [T0 - 10 * S, '60'],
            [T0 + 30 * S, '100'],
            [T0 + B + 30 * S, '40'],
          ],
        );
      },
      { asked },
    ).fetchBuckets(target, { ...range, startMs: T0 - 5 * S, endMs: T0 + 3 * B + 5 * S });

    expect(asked).toHaveLength(16);
    for (const a of asked) {
      expect(a.url).toBe('http://127.0.0.1:9090/api/v1/query');
      // POSTed: each series' value in the hour before the window, and its samples inside it
      const query = a.form.get('query') ?? '';
      if (query.startsWith('last_over_time(')) {
        expect(query).toMatch(/\}\[1h\]\)$/);
        expect(a.form.get('time')).toBe(String(T0 / 1000));
      } else {
        expect(query).toMatch(/\}\[3m\]$/);
        expect(a.form.get('time')).toBe(String((T0 + 3 * B) / 1000));
      }
    }
    const counts = { requests: 100, errors: 0, latencySumMs: 2000, latencyCount: 100 };
    expect(series).toEqual({
      bucketMs: B,
      timestamps: [T0 + B, T0 + 2 * B, T0 + 3 * B],
      baseline: [counts, counts, null],
      canary: [counts, { ...counts, errors: 2 }, null],
      warnings: [],
    });
  });

  it('asks expressions (templates that are not counters) once over the aligned bucket ends with step = bucket', async () => {
    const asked: Asked[] = [];
    const series = await provider(() => matrix([[T0 + B, '7']]), {
      asked,
      metrics: EXPRESSIONS,
    }).fetchBuckets(target, range);
    expect(asked).toHaveLength(8);
    for (const a of asked) {
      expect(a.url).toBe('http://127.0.0.1:9090/api/v1/query_range');
      expect({
        start: a.form.get('start'),
        end: a.form.get('end'),
        step: a.form.get('step'),
      }).toEqual({ start: String((T0 + B) / 1000), end: String((T0 + 3 * B) / 1000), step: '60' });
    }
    expect(series.canary[0]).toEqual({ requests: 7, errors: 7, latencySumMs: 7, latencyCount: 7 });
  });

  it('does not ask for buckets that have not ended yet, and reports them as missing', async () => {
    const asked: Asked[] = [];
    const series = await provider(
      () =>
        samples([
          [T0 - 10 * S, '10'],
          [T0 + 30 * S, '15'],
        ]),
      { asked, now: T0 + B + 30 * S },
    ).fetchBuckets(target, range);
    const samplesAsked = asked.filter((a) => !a.form.get('query')?.startsWith('last_over_time('));
    expect(samplesAsked.every((a) => a.form.get('time') === String((T0 + B) / 1000))).toBe(true);
    expect(series.timestamps).toHaveLength(3);
    expect(series.baseline.map((b) => b?.requests ?? null)).toEqual([5, null, null]);
  });

  it('asks nothing when no bucket of the range has ended', async () => {
    const asked: Asked[] = [];
    const series = await provider(() => matrix([]), { asked, now: T0 }).fetchBuckets(target, range);
    expect(asked).toEqual([]);
    expect(series.canary).toEqual([null, null, null]);
  });

  it('reports a bucket with a NaN request count as missing', async () => {
    const series = await provider(
      (q) =>
        matrix(
          q.startsWith('sum(rate(req_total') && !q.includes('code=')
            ? [
                [T0 + B, 'NaN'],
                [T0 + 2 * B, '4'],
              ]
            : [],
        ),
      { metrics: EXPRESSIONS },
    ).fetchBuckets(target, range);
    expect(series.baseline).toEqual([
      null,
      { requests: 4, errors: 0, latencySumMs: 0, latencyCount: 0 },
      null,
    ]);
  });

  it('skips a NaN sample of a counter: the next sample is differenced against the last countable one', async () => {
    const series = await provider((q) =>
      q.includes('response_code') || q.includes('duration')
        ? samples()
        : samples([
            [T0 - 10 * S, '10'],
            [T0 + 30 * S, 'NaN'],
            [T0 + B + 30 * S, '16'],
          ]),
    ).fetchBuckets(target, range);
    expect(series.baseline.map((b) => b?.requests ?? null)).toEqual([null, 6, null]);
  });

  it('passes Prometheus’s warnings on, naming the query they came with', async () => {
    const series = await provider((q) =>
      matrix([[T0 + B, '1']], q.includes('_count') ? { warnings: ['partial response'] } : {}),
    ).fetchBuckets(target, range);
    expect(series.warnings.sort()).toEqual([
      "query 'latencyCount' for baseline: partial response",
      "query 'latencyCount' for canary: partial response",
    ]);
  });

  it('runs the quantile query when the spec asks for one', async () => {
    const asked: Asked[] = [];
    const series = await provider(
      (q) => matrix([[T0 + B, q.startsWith('histogram_quantile') ? '24.85' : '10']]),
      { asked, metrics: { latencyQuantile: 0.99 } },
    ).fetchBuckets(target, range);
    expect(asked).toHaveLength(18); // 8 counters × 2 queries, and the quantile per arm
    expect(series.canary[0]?.latencyQuantileMs).toBe(24.85);
  });

  it('rejects a query that returns several series, naming it', async () => {
    const twoSeries = {
      body: {
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            { metric: { pod: 'a' }, values: [[(T0 + B) / 1000, '1']] },
            { metric: { pod: 'b' }, values: [] },
          ],
        },
      },
    };
    const failure = provider((q) => (q.includes('code=') ? twoSeries : matrix([])), {
      metrics: EXPRESSIONS,
    }).fetchBuckets(target, range);
    await expect(failure).rejects.toBeInstanceOf(MetricsQueryError);
    await expect(failure).rejects.toThrow(
      /^query 'errors' for (baseline|canary) returned 2 series \(e\.g\. \{"pod":"a"\}\); aggregate it to one, e\.g\. sum\(\.\.\.\)$/,
    );
  });

  it('rejects negative counts', async () => {
    await expect(
      provider(() => matrix([[T0 + B, '-3']]), { metrics: EXPRESSIONS }).fetchBuckets(
        target,
        range,
      ),
    ).rejects.toThrow(/returned -3 at .*counts cannot be negative/);
  });

  it('reports a broken query rather than a transient failure of another query', async () => {
    const failure = provider((q) => {
      if (q.includes('response_code'))
        return {
          status: 400,
          body: { status: 'error', errorType: 'bad_data', error: 'parse error' },
        };
      return {
        status: 503,
        body: { status: 'error', errorType: 'timeout', error: 'query timed out' },
      };
    }).fetchBuckets(target, range);
    await expect(failure).rejects.toBeInstanceOf(MetricsQueryError);
  });

  it('rejects ranges it cannot serve before asking anything', async () => {
    const asked: Asked[] = [];
    await expect(
      provider(() => matrix([]), { asked }).fetchBuckets(target, { ...range, bucketMs: 100 }),
    ).rejects.toBeInstanceOf(MetricsConfigError);
    await expect(
      provider(() => matrix([]), { asked }).fetchBuckets(
        { ...target, canaryVersion: 'v2"}' },
        range,
      ),
    ).rejects.toThrow(
      /cannot build queries for shop\/checkout: version .* is not a Kubernetes label value/,
    );
    expect(asked).toEqual([]);
  });

  it('sends the spec’s headers and the credentials of its metrics source, read from the environment', async () => {
    const asked: Asked[] = [];
    const metrics = spec({ source: 'mimir', headers: { 'X-Scope-OrgID': 'team-a' } });
    const sources: MetricsSources = {
      sources: {
        mimir: {
          address: 'https://mimir.example/prometheus',
          auth: {
            type: 'basic',
            username: { env: 'CANARY_METRICS_USER' },
            password: { env: 'CANARY_METRICS_PASSWORD' },
          },
        },
      },
      adHocAddresses: [],
    };
    const io = {
      env: { CANARY_METRICS_USER: 'u', CANARY_METRICS_PASSWORD: 'p' },
      readFile: () => '',
    };
    const p = new PrometheusProvider(metrics, {
      endpoint: resolveEndpoint(metrics, sources, io),
      fetch: fakeFetch(() => matrix([]), asked),
      now: () => T0 + 10 * B,
    });
    await p.fetchBuckets(target, range);
    expect(asked[0]?.url).toBe('https://mimir.example/prometheus/api/v1/query');
    expect(asked[0]?.headers.get('authorization')).toBe(
      `Basic ${Buffer.from('u:p').toString('base64')}`,
    );
    expect(asked[0]?.headers.get('x-scope-orgid')).toBe('team-a');
    expect(p.name).toBe('prometheus https://mimir.example/prometheus');
  });
});

describe('building a provider from a spec', () => {
  it('fails with a configuration error when a secret’s environment variable is not set', () => {
    const bearer = { type: 'bearer' as const, token: { env: 'CANARY_METRICS_TOKEN' } };
    const io = (env: Record<string, string>) => ({ env, readFile: () => '' });
    expect(() => resolveSourceAuth('default', bearer, io({}))).toThrow(
      new MetricsConfigError(
        `metrics source "default": auth.token.env names CANARY_METRICS_TOKEN, which is not set in the worker's environment`,
      ),
    );
    expect(resolveSourceAuth('default', bearer, io({ CANARY_METRICS_TOKEN: 'abc' }))).toEqual({
      type: 'bearer',
      token: 'abc',
    });
    expect(resolveSourceAuth('default', undefined, io({}))).toBeUndefined();
  });

  it('creates a PrometheusProvider for provider "prometheus" and rejects unknown providers', () => {
    expect(createMetricsProvider(spec({ address: 'http://prom:9090' }))).toBeInstanceOf(
      PrometheusProvider,
    );
    const unknown = { ...spec(), provider: 'datadog' } as unknown as MetricsSpec;
    expect(() => createMetricsProvider(unknown)).toThrow(
      new MetricsConfigError('unknown metrics provider "datadog"'),
    );
  });

  it('shows the PromQL it will run', () => {
    const queries = new PrometheusProvider(spec({ preset: 'prom-client' }), {}).queries(target, B);
    expect(queries.canary.requests).toBe(
      'http_requests_total{namespace="shop",service="checkout",version="v2"}',
    );
    expect(queries.baseline.latencySum).toBe(
      'http_request_duration_seconds_sum{namespace="shop",service="checkout",version="v1"} * 1000',
    );
  });
});

describe('failure policy', () => {
  it('marks only unavailability as retryable', () => {
    expect(new MetricsUnavailableError('down')).toMatchObject({
      name: 'MetricsUnavailableError',
      nonRetryable: false,
    });
    expect(new MetricsQueryError('bad')).toMatchObject({
      name: 'MetricsQueryError',
      nonRetryable: true,
    });
    expect(new MetricsConfigError('bad')).toMatchObject({
      name: 'MetricsConfigError',
      nonRetryable: true,
    });
  });

  it('turns provider errors into Temporal failures of the same type, non-retryable when retrying cannot help', () => {
    const query = toActivityFailure(
      new MetricsQueryError("query 'errors' for canary failed: bad_data: parse error"),
    ) as ApplicationFailure;
    expect(query).toBeInstanceOf(ApplicationFailure);
    expect(query).toMatchObject({
      type: 'MetricsQueryError',
      nonRetryable: true,
      message: "query 'errors' for canary failed: bad_data: parse error",
    });
    expect(toActivityFailure(new MetricsUnavailableError('down'))).toMatchObject({
      type: 'MetricsUnavailableError',
      nonRetryable: false,
    });
    const other = new Error('x');
    expect(toActivityFailure(other)).toBe(other);
  });
});

describe('the Prometheus address', () => {
  it("uses the spec's address, else the worker's default, else the loopback default", () => {
    const own = createMetricsProvider(
      metricsSpecSchema.parse({ address: 'http://prom.example:9090' }),
      { defaultAddress: 'http://worker-default:9090' },
    );
    const fromWorker = createMetricsProvider(metricsSpecSchema.parse({}), {
      defaultAddress: 'http://worker-default:9090',
    });
    const fallback = createMetricsProvider(metricsSpecSchema.parse({}));
    expect([own.name, fromWorker.name, fallback.name]).toEqual([
      'prometheus http://prom.example:9090',
      'prometheus http://worker-default:9090',
      'prometheus http://127.0.0.1:9090',
    ]);
  });
});
