/**
 * The sandbox with a Prometheus from startStackPrometheus(): every target is scraped, and the
 * metrics engine's PrometheusProvider, configured as the example specs configure it, reads both
 * arms of a sandbox release — the demo's metric and label names are the prom-client preset's.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusProvider } from '../../activities/metrics/prometheus.js';
import { validateReleaseSpec } from '../../core/spec.js';
import { withStableVersion } from '../harness/release-spec.js';
import { ensurePrometheus } from '../../scripts/prometheus.mjs';
import {
  prometheusConfig,
  SandboxRouter,
  SandboxWorkloads,
  startSandbox,
  startStackPrometheus,
  type Sandbox,
  type StackPrometheus,
} from '../../sandbox/index.js';

let sandbox: Sandbox;
let prometheus: StackPrometheus;
let dataDir: string;

async function query(
  promql: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(
    `${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`,
  );
  const body = (await response.json()) as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  expect(body.status).toBe('success');
  return body.data.result;
}

/** Polls a query until `accept` holds for its result, or fails after `timeoutMs`. */
async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!accept(last)) {
    if (Date.now() > deadline)
      throw new Error(`not within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    last = await read();
  }
  return last;
}

beforeAll(async () => {
  sandbox = await startSandbox({
    routerPort: 0,
    traffic: { ratePerSecond: 80, maxDurationMs: 120_000 },
  });
  // A release of v3 at 50%, so both arms serve.
  await new SandboxWorkloads(sandbox.routerUrl, {
    stableVersion: 'v1',
    canaryVersion: 'v3',
  }).prepareCanary(() => undefined);
  await new SandboxRouter(sandbox.routerUrl).setWeights({ stable: 50, canary: 50 });
  dataDir = await mkdtemp(join(tmpdir(), 'canary-sandbox-prometheus-'));
  prometheus = await startStackPrometheus({
    binary: await ensurePrometheus(),
    port: 0,
    dataDir,
    targets: sandbox.scrapeTargets,
    scrapeInterval: '1s',
  });
});

afterAll(async () => {
  await prometheus?.stop();
  await sandbox?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('startStackPrometheus with the sandbox', () => {
  it('writes a configuration that scrapes every target every second', async () => {
    const config = await readFile(prometheus.configFile, 'utf8');
    expect(config).toBe(prometheusConfig(sandbox.scrapeTargets, '1s'));
    expect(config).toContain('scrape_interval: 1s');
    expect(config).toContain('evaluation_interval: 1s');
    expect(config).toContain('metrics_path: /control/metrics');
    expect(() =>
      prometheusConfig(
        [
          { job: 'x', target: 'a:1' },
          { job: 'x', target: 'b:2', metricsPath: '/other' },
        ],
        '1s',
      ),
    ).toThrow(/different metrics paths/);
  });

  it('scrapes the demo versions and the router: sum(http_requests_total) grows within seconds', async () => {
    const up = await eventually(
      () => query('up'),
      (r) => r.length === 5 && r.every((s) => s.value[1] === '1'),
    );
    expect(new Set(up.map((s) => s.metric.job))).toEqual(
      new Set(['sandbox-demo', 'sandbox-router']),
    );
    const total = await eventually(
      () => query('sum(http_requests_total{namespace="sandbox",service="demo"})'),
      (r) => Number(r[0]?.value[1] ?? 0) > 0,
    );
    expect(Number(total[0]?.value[1])).toBeGreaterThan(0);
    const weight = await query('sandbox_router_weight_percent{arm="canary"}');
    expect(weight[0]?.value[1]).toBe('50');
  });

  it('serves both arms of a release to the PrometheusProvider configured like the example specs', async () => {
    const example = JSON.parse(
      await readFile(join(import.meta.dirname, '../../examples/sandbox-faulty.json'), 'utf8'),
    );
    const validated = validateReleaseSpec({ ...example, router: { type: 'sandbox' } });
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems));
    const spec = withStableVersion(validated.spec);
    const provider = new PrometheusProvider({ ...spec.analysis.metrics, address: prometheus.url });
    const bucketMs = 2000;
    const target = {
      releaseId: spec.releaseId,
      namespace: spec.namespace,
      service: spec.service,
      stableVersion: spec.stableVersion,
      canaryVersion: spec.canaryVersion,
    };
    // The demo served traffic before Prometheus's first scrape: a release starts after its series
    // exist (a series first scraped inside the window would have its whole history counted there).
    await eventually(
      () => query('count_over_time(http_requests_total{version="v3",code="200"}[10s])'),
      (r) => Number(r[0]?.value[1] ?? 0) >= 1,
      30_000,
    );
    const startMs = Math.ceil((Date.now() + 1000) / bucketMs) * bucketMs;
    const endMs = startMs + 3 * bucketMs;
    // every bucket ended, and the last one's final scrape landed
    await new Promise((resolve) => setTimeout(resolve, endMs + 2000 - Date.now()));
    const series = await provider.fetchBuckets(target, { startMs, endMs, bucketMs });
    expect(series.timestamps).toHaveLength(3);
    for (const arm of ['canary', 'baseline'] as const) {
      const buckets = series[arm].filter((b) => b !== null);
      expect(buckets.length).toBeGreaterThanOrEqual(2);
      for (const b of buckets) {
        // 40 req/s per arm: about 80 per 2 s bucket (a bucket ends at each arm’s last scrape before its end).
        expect(b.requests).toBeGreaterThan(20);
        expect(b.requests).toBeLessThan(300);
        expect(b.latencySumMs / b.latencyCount).toBeGreaterThan(80);
        expect(b.latencySumMs / b.latencyCount).toBeLessThan(200);
      }
    }
  });
});
