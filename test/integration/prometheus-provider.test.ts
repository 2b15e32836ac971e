/**
 * PrometheusProvider against a real Prometheus (scraping every second) and the test exporter.
 *
 * One timeline serves every test: after priming, the exporter emits known traffic in the middle
 * of three consecutive 10 s buckets (B0, B0+10s], (B0+10s, B0+20s], (B0+20s, B0+30s], for several
 * services at once, then the tests read those buckets back.
 *
 * Counts are exact: the provider reads the counters' raw samples and differences them at the
 * bucket boundaries (core/metrics/counters.ts), so traffic emitted in the middle of a bucket comes
 * back as exactly what was emitted, also for series that appear inside the window.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsConfigError, MetricsQueryError } from '../../activities/metrics/errors.js';
import { PrometheusClient } from '../../activities/metrics/prometheus-client.js';
import { PrometheusProvider } from '../../activities/metrics/prometheus.js';
import { resolveEndpoint } from '../../activities/metrics/sources.js';
import type { BucketRange, MetricsTarget } from '../../activities/metrics/types.js';
import { metricsSpecSchema } from '../../core/metrics/config.js';
import type { BucketCounts } from '../../core/types.js';
import {
  describeMetricsProviderContract,
  type MetricsProviderFixture,
} from '../contract/metrics-provider.contract.js';
import {
  releaseWorkloads,
  startExporter,
  type TestExporter,
  type Traffic,
} from '../harness/exporter.js';
import { startPrometheus, type PrometheusHarness } from '../harness/prometheus.js';

const BUCKET_MS = 10_000;
const SCRAPE_MS = 1_000;

const release = (service: string, namespace = 'shop'): MetricsTarget => ({
  releaseId: `${service}-v2`,
  namespace,
  service,
  stableVersion: 'v1',
  canaryVersion: 'v2',
});
/** Exact counts per bucket: every release's known traffic, three buckets. */
const CHECKOUT = release('checkout');
const CHECKOUT_TRAFFIC: Record<'baseline' | 'canary', (Traffic | null)[]> = {
  baseline: [
    { requests: 100, errors: 2, latencyMs: 20 },
    { requests: 200, errors: 0, latencyMs: 20 },
    { requests: 150, errors: 3, latencyMs: 30 },
  ],
  // null: the canary is idle in bucket 2 (its series exist, nothing new is served).
  canary: [
    { requests: 40, errors: 4, latencyMs: 50 },
    null,
    { requests: 60, errors: 6, latencyMs: 80 },
  ],
};
/** Baseline serves without a single 5xx ever (no error series exists); the canary never serves. */
const PAYMENTS = release('payments');
/** The canary's series only appear in bucket 2 (not primed). */
const SEARCH = release('search');
/** Steady traffic: 100 requests per second to each arm (10 % of them errors), through all buckets. */
const STEADY = release('steady');
const STEADY_PER_SECOND = 100;
/** When each steady request was sent (ms), to count what each bucket really got. */
const steadySent: number[] = [];

const sleepUntil = async (epochMs: number) => {
  const wait = epochMs - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
};

let exporter: TestExporter;
let prometheus: PrometheusHarness;
let stoppedPrometheusUrl: string;
let b0: number;
let range: BucketRange;
const ends = () => [b0 + BUCKET_MS, b0 + 2 * BUCKET_MS, b0 + 3 * BUCKET_MS];
const provider = (metrics: Record<string, unknown> = {}) =>
  new PrometheusProvider(metricsSpecSchema.parse({ address: prometheus.url, ...metrics }));

beforeAll(async () => {
  exporter = await startExporter();
  prometheus = await startPrometheus({ scrapeTargets: [exporter.target], scrapeInterval: '1s' });
  const stopped = await startPrometheus({ scrapeTargets: [exporter.target] });
  stoppedPrometheusUrl = stopped.url;
  await stopped.stop();

  const checkout = releaseWorkloads(CHECKOUT);
  const payments = releaseWorkloads(PAYMENTS);
  const search = releaseWorkloads(SEARCH);
  exporter.prime(checkout.baseline);
  exporter.prime(checkout.canary);
  exporter.prime(search.baseline);
  exporter.record(payments.baseline, { requests: 10 }); // creates its 200 series only
  b0 = Math.ceil((Date.now() + 3000) / BUCKET_MS) * BUCKET_MS;
  range = { startMs: b0, endMs: b0 + 3 * BUCKET_MS, bucketMs: BUCKET_MS };
  const steady = releaseWorkloads(STEADY);
  exporter.prime(steady.baseline);
  exporter.prime(steady.canary);
  // Paced by the clock, not by the timer: a late tick sends what is due, so load cannot thin the traffic.
  const steadyStart = Date.now();
  const steadyTraffic = setInterval(() => {
    const now = Date.now();
    const due = Math.floor(((now - steadyStart) * STEADY_PER_SECOND) / 1000) - steadySent.length;
    if (due <= 0) return;
    const errors = Math.round(due / 10);
    exporter.record(steady.baseline, { requests: due, errors, latencyMs: 20 });
    exporter.record(steady.canary, { requests: due, errors, latencyMs: 20 });
    for (let i = 0; i < due; i += 1) steadySent.push(now);
  }, 100);

  for (let i = 0; i < 3; i += 1) {
    await sleepUntil(b0 + i * BUCKET_MS + BUCKET_MS / 2);
    for (const arm of ['baseline', 'canary'] as const) {
      const traffic = CHECKOUT_TRAFFIC[arm][i];
      if (traffic) exporter.record(checkout[arm], traffic);
    }
    exporter.record(payments.baseline, { requests: 50, latencyMs: 15 });
    exporter.record(search.baseline, { requests: 30, errors: 1, latencyMs: 10 });
    if (i >= 1)
      exporter.record(search.canary, { requests: i === 1 ? 20 : 30, errors: 0, latencyMs: 10 });
    // Noise that no selector of the releases above may pick up: same versions, other service or namespace.
    exporter.record(releaseWorkloads(release('checkout', 'other')).canary, {
      requests: 1000,
      errors: 500,
    });
    exporter.record(releaseWorkloads(release('checkout2')).baseline, { requests: 700, errors: 7 });
  }
  await sleepUntil(b0 + 3 * BUCKET_MS + 200);
  clearInterval(steadyTraffic);
  // Let the scrape after the last bucket's end land before anyone reads it.
  await sleepUntil(b0 + 3 * BUCKET_MS + 2 * SCRAPE_MS);
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.stop();
});

/** Steady traffic as read against as sent, printed at the end for the record. */
const measured: {
  preset: string;
  arm: string;
  bucket: number;
  expected: number;
  reported: number;
  factor: number;
}[] = [];
afterAll(() => {
  if (measured.length > 0)
    console.table(
      measured.map((m) => ({
        ...m,
        factor: Number(m.factor.toFixed(4)),
        reported: Number(m.reported.toFixed(3)),
      })),
    );
});

function expectCounts(
  actual: BucketCounts | null | undefined,
  expected: Traffic | null,
  label: { preset: string; arm: string; bucket: number },
): void {
  expect(actual, `${label.preset} ${label.arm} bucket ${label.bucket}`).not.toBeNull();
  const counts = actual as BucketCounts;
  if (expected === null) {
    expect(counts).toMatchObject({ requests: 0, errors: 0, latencySumMs: 0, latencyCount: 0 });
    return;
  }
  const what = `${label.preset} ${label.arm} bucket ${label.bucket}`;
  expect(counts.requests, what).toBe(expected.requests);
  expect(counts.errors, what).toBe(expected.errors ?? 0);
  expect(counts.latencyCount, what).toBe(expected.requests);
  expect(counts.latencySumMs, what).toBeCloseTo(expected.requests * (expected.latencyMs ?? 20), 6);
}

describe('PrometheusProvider against a real Prometheus', () => {
  it.each(['istio', 'prom-client', 'nginx'] as const)(
    '%s preset: buckets equal the exporter’s counts exactly',
    async (preset) => {
      const series = await provider({ preset }).fetchBuckets(CHECKOUT, range);
      expect(series.timestamps).toEqual(ends());
      for (const arm of ['baseline', 'canary'] as const) {
        CHECKOUT_TRAFFIC[arm].forEach((traffic, i) =>
          expectCounts(series[arm][i], traffic, { preset, arm, bucket: i + 1 }),
        );
      }
      expect(series.warnings).toEqual([]);
    },
  );

  it('counts steady traffic in buckets that tile time: each within a scrape’s worth of what was sent, nothing lost between them', async () => {
    const series = await provider({ preset: 'istio' }).fetchBuckets(STEADY, range);
    const sentIn = (end: number) =>
      steadySent.filter((t) => t > end - BUCKET_MS && t <= end).length;
    for (const arm of ['baseline', 'canary'] as const) {
      series[arm].forEach((bucket, i) => {
        const sent = sentIn(series.timestamps[i] as number);
        const reported = bucket?.requests ?? Number.NaN;
        measured.push({
          preset: 'istio',
          arm: `${arm} (steady)`,
          bucket: i + 1,
          expected: sent,
          reported,
          factor: reported / sent,
        });
        // A bucket ends at the arm's last scrape before its end: it may be off by what was sent
        // between that scrape and the end, which the next bucket holds instead.
        expect(Math.abs(reported - sent)).toBeLessThanOrEqual(
          (2 * STEADY_PER_SECOND * SCRAPE_MS) / 1000,
        );
        expect(Number.isInteger(reported)).toBe(true);
        expect((bucket?.errors ?? 0) / reported).toBeCloseTo(0.1, 1);
      });
      // The buckets tile time: together they hold what was sent across them, give or take one
      // scrape at each end of the range.
      const total = series[arm].reduce((sum, b) => sum + (b?.requests ?? 0), 0);
      const sent = steadySent.filter((t) => t > range.startMs && t <= range.endMs).length;
      expect(Math.abs(total - sent)).toBeLessThanOrEqual(
        (2 * STEADY_PER_SECOND * SCRAPE_MS) / 1000,
      );
    }
  });

  it('custom templates run as written: the prom-client queries as templates give the prom-client numbers', async () => {
    const sel = 'namespace="{{namespace}}",service="{{service}}",version="{{version}}"';
    const queries = {
      requests: `sum(increase(http_requests_total{${sel}}[{{bucket}}]))`,
      errors: `sum(increase(http_requests_total{${sel},code=~"5.."}[{{bucket}}]))`,
      latencySum: `sum(increase(http_request_duration_seconds_sum{${sel}}[{{bucket}}])) * 1000`,
      latencyCount: `sum(increase(http_request_duration_seconds_count{${sel}}[{{bucket}}]))`,
    };
    const custom = await provider({ preset: 'custom', queries }).fetchBuckets(CHECKOUT, range);
    const preset = await provider({ preset: 'prom-client' }).fetchBuckets(CHECKOUT, range);
    expect(custom).toEqual(preset);
  });

  it('reports errors as 0, not missing, when requests exist and no 5xx series does', async () => {
    const p = provider({ preset: 'istio' });
    const errorsQuery = p.queries(PAYMENTS, BUCKET_MS).baseline.errors;
    const raw = await new PrometheusClient({ address: prometheus.url }).queryRange({
      query: errorsQuery,
      startMs: range.startMs + BUCKET_MS,
      endMs: range.endMs,
      stepMs: BUCKET_MS,
    });
    expect(raw.series).toEqual([]); // Prometheus itself has no error value at all for these buckets
    const series = await p.fetchBuckets(PAYMENTS, range);
    for (const bucket of series.baseline) {
      expect(bucket).not.toBeNull();
      expect(bucket?.errors).toBe(0);
      expect(bucket?.requests).toBeGreaterThanOrEqual(50);
    }
  });

  it('reports an arm without any series as missing in every bucket, never as zeros', async () => {
    const series = await provider({ preset: 'prom-client' }).fetchBuckets(PAYMENTS, range);
    expect(series.canary).toEqual([null, null, null]);
  });

  it('reports buckets before a series exists as missing, and counts a new series’ first increments from 0', async () => {
    const series = await provider({ preset: 'istio' }).fetchBuckets(SEARCH, range);
    expect(series.canary[0]).toBeNull();
    // The canary's series appeared in bucket 2 already holding 20: all 20 are that bucket's.
    expectCounts(
      series.canary[1],
      { requests: 20, errors: 0, latencyMs: 10 },
      { preset: 'istio', arm: 'canary (new series)', bucket: 2 },
    );
    expectCounts(
      series.canary[2],
      { requests: 30, errors: 0, latencyMs: 10 },
      { preset: 'istio', arm: 'canary (new series)', bucket: 3 },
    );
    series.baseline.forEach((bucket, i) =>
      expectCounts(
        bucket,
        { requests: 30, errors: 1, latencyMs: 10 },
        { preset: 'istio', arm: 'baseline (search)', bucket: i + 1 },
      ),
    );
  });

  it('fetches a latency quantile from the duration histogram, in milliseconds, for every preset', async () => {
    for (const preset of ['istio', 'prom-client', 'nginx'] as const) {
      const series = await provider({ preset, latencyQuantile: 0.99 }).fetchBuckets(
        CHECKOUT,
        range,
      );
      // All of bucket 1's baseline requests took 20 ms: histogram_quantile interpolates inside (10, 25].
      expect(series.baseline[0]?.latencyQuantileMs).toBeCloseTo(10 + 15 * 0.99, 6);
      expect(series.canary[0]?.latencyQuantileMs).toBeCloseTo(25 + 25 * 0.99, 6); // 50 ms in (25, 50]
      // The idle canary bucket has counts (0) but no quantile (NaN from Prometheus is left out).
      expect(series.canary[1]).toEqual({
        requests: 0,
        errors: 0,
        latencySumMs: 0,
        latencyCount: 0,
      });
    }
  });

  it('fails non-retryably, naming the query and quoting Prometheus, when a custom template is not valid PromQL', async () => {
    const queries = {
      requests: 'sum(increase(http_requests_total{version="{{version}}"}[{{bucket}}]))',
      errors: 'sum(increase(http_requests_total{version="{{version}}",code=~"5.."}[{{bucket}}])',
      latencySum:
        'sum(increase(http_request_duration_seconds_sum{version="{{version}}"}[{{bucket}}]))',
      latencyCount:
        'sum(increase(http_request_duration_seconds_count{version="{{version}}"}[{{bucket}}]))',
    };
    const failure = provider({ preset: 'custom', queries }).fetchBuckets(CHECKOUT, range);
    await expect(failure).rejects.toBeInstanceOf(MetricsQueryError);
    await expect(failure).rejects.toMatchObject({
      nonRetryable: true,
      errorType: 'bad_data',
      status: 400,
    });
    await expect(failure).rejects.toThrow(
      /^query 'errors' for (baseline|canary) failed: bad_data: .*parse error/,
    );
  });

  it('reaches Prometheus through a reverse proxy with a base path, bearer auth and a custom header', async () => {
    const proxy = await startAuthProxy(prometheus.url, { token: 'proxy-secret', tenant: 'team-a' });
    try {
      // the operator's source holds the address and the credentials; the spec only names it
      const spec = metricsSpecSchema.parse({
        source: 'mimir',
        headers: { 'X-Scope-OrgID': 'team-a' },
      });
      const sources = {
        sources: {
          mimir: {
            address: `${proxy.url}/prom`,
            auth: { type: 'bearer' as const, token: { env: 'CANARY_METRICS_TOKEN' } },
          },
        },
        adHocAddresses: [],
      };
      const withToken = (token: string) =>
        new PrometheusProvider(spec, {
          endpoint: resolveEndpoint(spec, sources, {
            env: { CANARY_METRICS_TOKEN: token },
            readFile: () => '',
          }),
        });
      const viaProxy = withToken('proxy-secret');
      await expect(viaProxy.isOnline()).resolves.toBeUndefined();
      const series = await viaProxy.fetchBuckets(CHECKOUT, range);
      expect(series).toEqual(await provider().fetchBuckets(CHECKOUT, range));
      expect(
        proxy.seen.some(
          (r) =>
            r.method === 'POST' &&
            r.path === '/api/v1/query' &&
            r.contentType === 'application/x-www-form-urlencoded;charset=UTF-8',
        ),
      ).toBe(true);

      const wrongToken = withToken('guess');
      const failure = wrongToken.fetchBuckets(CHECKOUT, range);
      await expect(failure).rejects.toBeInstanceOf(MetricsConfigError);
      await expect(failure).rejects.toMatchObject({ nonRetryable: true, status: 401 });
      await expect(failure).rejects.toThrow(/rejected our credentials: HTTP 401/);
    } finally {
      await proxy.stop();
    }
  });

  describeMetricsProviderContract('PrometheusProvider', (): MetricsProviderFixture => ({
    provider: provider({ preset: 'istio' }),
    target: SEARCH,
    range,
    knownMissing: { canary: [b0 + BUCKET_MS], baseline: [] },
    knownPresent: [b0 + 2 * BUCKET_MS, b0 + 3 * BUCKET_MS],
    unknownTarget: release('never-deployed'),
    offlineProvider: new PrometheusProvider(
      metricsSpecSchema.parse({ address: stoppedPrometheusUrl, timeout: '2s' }),
    ),
    impatientProvider: new PrometheusProvider(
      metricsSpecSchema.parse({ address: prometheus.url, preset: 'istio' }),
      { preflightWaitMs: 0 },
    ),
  }));
});

interface SeenRequest {
  method: string;
  path: string;
  contentType: string | undefined;
}

/** A reverse proxy serving Prometheus under /prom that wants a bearer token and a tenant header. */
async function startAuthProxy(
  upstream: string,
  expect: { token: string; tenant: string },
): Promise<{ url: string; seen: SeenRequest[]; stop(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '';
      if (!url.startsWith('/prom/'))
        return res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such path');
      if (
        req.headers.authorization !== `Bearer ${expect.token}` ||
        req.headers['x-scope-orgid'] !== expect.tenant
      ) {
        return res
          .writeHead(401, { 'Content-Type': 'text/plain' })
          .end('401 Unauthorized: bad token or tenant');
      }
      const path = url.slice('/prom'.length);
      seen.push({
        method: req.method ?? '',
        path: path.split('?')[0] ?? '',
        contentType: req.headers['content-type'],
      });
      const body = await readBody(req);
      const answer = await fetch(`${upstream}${path}`, {
        method: req.method,
        headers: req.headers['content-type'] ? { 'Content-Type': req.headers['content-type'] } : {},
        body: body.length > 0 ? body : undefined,
      });
      res
        .writeHead(answer.status, {
          'Content-Type': answer.headers.get('content-type') ?? 'text/plain',
        })
        .end(Buffer.from(await answer.arrayBuffer()));
    })().catch((error: Error) => res.writeHead(502).end(error.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
