/**
 * The rule bucket ≥ 2 × scrape interval: at submission from the operator's declared interval, and
 * at pre-flight from what Prometheus says (its targets, else the spacing of the samples), with a
 * typed fake `fetch` in place of Prometheus. The real-Prometheus case is in
 * test/integration/prometheus-counts.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { PrometheusProvider } from '../../activities/metrics/prometheus.js';
import { bucketIntervalProblem } from '../../activities/metrics/scrape-interval.js';
import { CLUSTER_CAPABILITIES, capabilityProblems } from '../../core/capabilities.js';
import { metricsSpecSchema } from '../../core/metrics/config.js';
import { engineCapabilities, parseEngineConfig } from '../../worker/engine-config.js';

const NOW = 1_700_000_000_000;
const target = {
  releaseId: 'r1',
  namespace: 'shop',
  service: 'checkout',
  stableVersion: 'v1',
  canaryVersion: 'v2',
};
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const success = (data: unknown) => json({ status: 'success', data });

/** A Prometheus with the stable series in job "app", scraped every `scrapeSeconds`. */
function fakePrometheus(options: { targets: 'serve' | 'missing'; scrapeSeconds: number }) {
  const asked: string[] = [];
  const fetchFn = (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    asked.push(url.pathname);
    const query = url.searchParams.get('query') ?? '';
    if (url.pathname === '/api/v1/targets') {
      if (options.targets === 'missing') return new Response('404 page not found', { status: 404 });
      return success({
        activeTargets: [
          {
            labels: { job: 'app' },
            scrapePool: 'app',
            scrapeInterval: `${options.scrapeSeconds}s`,
          },
          { labels: { job: 'other' }, scrapePool: 'other', scrapeInterval: '5m' },
        ],
      });
    }
    if (query.startsWith('count by (job)'))
      return success({
        resultType: 'vector',
        result: [{ metric: { job: 'app' }, value: [NOW / 1000, '2'] }],
      });
    if (query.endsWith('[5m]')) {
      const values = [0, 1, 2, 3].map((i) => [
        NOW / 1000 - i * options.scrapeSeconds,
        String(10 - i),
      ]);
      return success({
        resultType: 'matrix',
        result: [{ metric: { job: 'app' }, values: values.reverse() }],
      });
    }
    return success({ resultType: 'vector', result: [{ metric: {}, value: [NOW / 1000, '1'] }] });
  }) as typeof fetch;
  return { fetchFn, asked };
}

const provider = (fetchFn: typeof fetch) =>
  new PrometheusProvider(metricsSpecSchema.parse({ preset: 'prom-client' }), {
    fetch: fetchFn,
    now: () => NOW,
    preflightWaitMs: 0,
  });

describe('pre-flight: bucket against the scrape interval', () => {
  it('refuses a bucket shorter than twice the interval of the series’ job in /api/v1/targets, naming analysis.bucket', async () => {
    const { fetchFn } = fakePrometheus({ targets: 'serve', scrapeSeconds: 30 });
    const problems = await provider(fetchFn).preflight(target, { bucketMs: 45_000 });
    expect(problems).toEqual([
      {
        object: 'prometheus http://127.0.0.1:9090',
        message: `analysis.bucket 45s is shorter than 2 × the scrape interval of the stable version's series (30s, from job "app" (/api/v1/targets)): every series needs at least 2 scrapes in each bucket, so set analysis.bucket to 1m or more`,
      },
    ]);
    expect(await provider(fetchFn).preflight(target, { bucketMs: 60_000 })).toEqual([]);
  });

  it('measures the spacing of the samples where the backend serves no targets (a query frontend)', async () => {
    const { fetchFn, asked } = fakePrometheus({ targets: 'missing', scrapeSeconds: 15 });
    const problems = await provider(fetchFn).preflight(target, { bucketMs: 20_000 });
    expect(asked).toContain('/api/v1/targets');
    expect(problems[0]?.message).toMatch(
      /^analysis\.bucket 20s is shorter than 2 × the scrape interval .*\(15s, from the spacing of its samples\)/,
    );
    expect(await provider(fetchFn).preflight(target, { bucketMs: 30_000 })).toEqual([]);
  });

  it('does not look at the interval without a bucket', async () => {
    const { fetchFn, asked } = fakePrometheus({ targets: 'serve', scrapeSeconds: 30 });
    expect(await provider(fetchFn).preflight(target)).toEqual([]);
    expect(asked).not.toContain('/api/v1/targets');
  });

  it('allows exactly two intervals', () => {
    expect(bucketIntervalProblem(30_000, { intervalMs: 15_000, source: 'x' })).toBeUndefined();
    expect(bucketIntervalProblem(29_999, { intervalMs: 15_000, source: 'x' })).toMatch(
      /^analysis\.bucket/,
    );
  });
});

describe('submission: bucket against the operator’s declared scrape interval', () => {
  const caps = engineCapabilities(
    parseEngineConfig({
      metricsSources: {
        default: { address: 'http://prometheus:9090', scrapeInterval: '30s' },
        fast: { address: 'http://fast:9090', scrapeInterval: '5s' },
        unknown: { address: 'http://unknown:9090' },
      },
    }),
    { sandbox: false },
  );
  const choice = (bucket: string, source?: string) => ({
    analysis: { bucket, metrics: source ? { source } : {} },
  });

  it('refuses a bucket shorter than two declared intervals at analysis.bucket', () => {
    expect(capabilityProblems(choice('45s'), caps)).toEqual([
      {
        path: 'analysis.bucket',
        message:
          'must be at least 2 × the scrape interval of metrics source "default" (30s), i.e. 1m or more: every series needs at least 2 scrapes in each bucket',
      },
    ]);
    expect(capabilityProblems(choice('1m'), caps)).toEqual([]);
    expect(capabilityProblems(choice('10s', 'fast'), caps)).toEqual([]);
  });

  it('leaves sources without a declared interval to the pre-flight', () => {
    expect(capabilityProblems(choice('1s', 'unknown'), caps)).toEqual([]);
    expect(capabilityProblems(choice('1s'), CLUSTER_CAPABILITIES)).toEqual([]);
  });

  it('rejects a scrapeInterval that is not a duration in the operator’s config', () => {
    expect(() =>
      parseEngineConfig({
        metricsSources: { a: { address: 'http://a:9090', scrapeInterval: 'soon' } },
      }),
    ).toThrow(/metricsSources\.a\.scrapeInterval/);
  });
});
