/**
 * The sandbox's example release specs: each is valid, points at the sandbox as startSandbox()
 * runs it by default, and has windows that the judge can decide at the sandbox's default traffic
 * rate within the walkthrough's time budget (healthy promoted in under 3 minutes, faulty rolled
 * back in under 1).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PROM_CLIENT_DEFAULTS,
  promClientTemplates,
} from '../../core/metrics/queries/prom-client.js';
import { planRelease } from '../../core/plan.js';
import { validateReleaseSpec, type ReleaseSpec } from '../../core/spec.js';
import { withStableVersion } from '../harness/release-spec.js';
import { DEMO_METRICS, startDemoVersion } from '../../sandbox/demo-service.js';
import { DEFAULT_RATE_PER_SECOND } from '../../sandbox/traffic.js';
import { DEMO_VERSIONS, INITIAL_STABLE, isDemoVersion } from '../../sandbox/versions.js';

const examplesDir = join(import.meta.dirname, '../../examples');
const files = readdirSync(examplesDir)
  .filter((f) => /^sandbox-.*\.json$/.test(f))
  .sort();

function load(file: string): ReleaseSpec {
  const result = validateReleaseSpec(JSON.parse(readFileSync(join(examplesDir, file), 'utf8')));
  if (!result.ok)
    throw new Error(
      `${file} is invalid:\n${result.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
    );
  return withStableVersion(result.spec);
}

/** analyseCanary waits two buckets (at most 30 s) after a window before it queries. */
const lagMs = (bucketMs: number) => Math.min(30_000, 2 * bucketMs);

describe('sandbox example specs', () => {
  it('include the healthy, faulty, slow, gated and user-bucket releases', () => {
    expect(files).toEqual([
      'sandbox-faulty.json',
      'sandbox-gated.json',
      'sandbox-healthy.json',
      'sandbox-slow.json',
      'sandbox-user-buckets.json',
    ]);
  });

  it.each(files)('%s is a valid release spec for the sandbox as startSandbox() runs it', (file) => {
    const spec = load(file);
    // no url and no Prometheus address: the worker's defaults (the stack's sandbox and Prometheus,
    // or CANARY_SANDBOX_URL / CANARY_PROMETHEUS_URL in docker-compose) apply
    expect(spec.router).toEqual({ type: 'sandbox' });
    expect(spec.workloads).toEqual({ type: 'sandbox' });
    expect(spec.namespace).toBe('sandbox');
    expect(spec.service).toBe('demo');
    expect(spec.stableVersion).toBe(INITIAL_STABLE);
    expect(isDemoVersion(spec.canaryVersion)).toBe(true);
    expect(spec.analysis.metrics).toMatchObject({ provider: 'prometheus', preset: 'prom-client' });
    expect(spec.analysis.metrics.address).toBeUndefined();
    // No promClient settings: the demo's metrics carry the preset's default names.
    expect(spec.analysis.metrics.promClient).toBeUndefined();
  });

  it('release the canary versions the scenarios are named after', () => {
    const canary = Object.fromEntries(files.map((f) => [f, load(f).canaryVersion]));
    expect(canary).toEqual({
      'sandbox-healthy.json': 'v2',
      'sandbox-faulty.json': 'v3',
      'sandbox-slow.json': 'v4',
      'sandbox-gated.json': 'v2',
      'sandbox-user-buckets.json': 'v2',
    });
    expect(DEMO_VERSIONS.v2).toMatchObject({
      errorRate: DEMO_VERSIONS.v1.errorRate,
      latencyMs: DEMO_VERSIONS.v1.latencyMs,
    });
  });

  it('gate the gated release on an approval and no other', () => {
    const approvals = Object.fromEntries(
      files.map((f) => [f, planRelease(load(f)).steps.filter((s) => s.approval).length]),
    );
    expect(approvals).toEqual({
      'sandbox-healthy.json': 0,
      'sandbox-faulty.json': 0,
      'sandbox-slow.json': 0,
      'sandbox-gated.json': 1,
      'sandbox-user-buckets.json': 0,
    });
  });

  it.each(files)(
    '%s gives the judge enough data at the default traffic rate by its first look',
    (file) => {
      const spec = load(file);
      const plan = planRelease(spec);
      const gates = spec.analysis.judge.gates;
      const first = plan.steps[0] as (typeof plan.steps)[number];
      // Whole buckets in the window: the partial first one and the one still open at the end are lost.
      const buckets = Math.floor(first.observeMs / plan.bucketMs) - 1;
      const seconds = (buckets * plan.bucketMs) / 1000;
      const canaryRequests = DEFAULT_RATE_PER_SECOND * (first.weight / 100) * seconds;
      const baselineRequests = DEFAULT_RATE_PER_SECOND * (1 - first.weight / 100) * seconds;
      expect(buckets).toBeGreaterThanOrEqual(gates.minBuckets + 3);
      expect(canaryRequests).toBeGreaterThanOrEqual(2 * gates.minRequests);
      expect(canaryRequests).toBeGreaterThanOrEqual(2 * gates.minLatencyCount);
      expect(baselineRequests).toBeGreaterThanOrEqual(2 * gates.minRequests);
      const expectedErrors =
        canaryRequests * DEMO_VERSIONS.v1.errorRate + baselineRequests * DEMO_VERSIONS.v1.errorRate;
      expect(expectedErrors).toBeGreaterThanOrEqual(2 * gates.minErrorEvents);
    },
  );

  it('roll the faulty release back within a minute and promote the healthy one within three', () => {
    const lookAt = (spec: ReleaseSpec, steps: number) => {
      const plan = planRelease(spec);
      return plan.steps
        .slice(0, steps)
        .reduce((ms, step) => ms + step.observeMs + lagMs(plan.bucketMs), 0);
    };
    // The faulty canary fails at the first look; a few seconds go to preparing and finishing.
    expect(lookAt(load('sandbox-faulty.json'), 1) + 5_000).toBeLessThan(60_000);
    const healthy = load('sandbox-healthy.json');
    const plan = planRelease(healthy);
    const oneExtension = (plan.steps.at(-1)?.observeMs ?? 0) + lagMs(plan.bucketMs);
    expect(lookAt(healthy, plan.steps.length) + oneExtension + 10_000).toBeLessThan(180_000);
  });

  it('the demo service exports metrics under the prom-client preset default names', async () => {
    expect(DEMO_METRICS).toEqual(PROM_CLIENT_DEFAULTS);
    expect(DEMO_METRICS).toMatchObject({
      requestsMetric: 'http_requests_total',
      durationMetric: 'http_request_duration_seconds',
      durationUnit: 'seconds',
    });

    // what a running demo version actually exposes, after one success and one error
    let draw = 0;
    const demo = await startDemoVersion({
      version: 'v9',
      namespace: 'demo-ns',
      service: 'demo-svc',
      port: 0,
      behaviour: { errorRate: 0.5, latencyMs: 30, jitterMs: 0, role: 'test' },
      random: () => [0.9, 0.5, 0.1, 0.5][draw++ % 4]!, // success, then error
    });
    let exposition: string;
    try {
      expect((await fetch(`${demo.url}/`)).status).toBe(200);
      expect((await fetch(`${demo.url}/`)).status).toBe(500);
      exposition = await (await fetch(`${demo.url}/metrics`)).text();
    } finally {
      await demo.stop();
    }
    /** name → label sets of its samples */
    const samples = new Map<string, Array<{ labels: Record<string, string>; value: number }>>();
    for (const line of exposition.split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*)\{([^}]*)\} (\S+)$/.exec(line);
      if (!match) continue;
      const labels = Object.fromEntries(
        [...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
      );
      samples.set(match[1]!, [
        ...(samples.get(match[1]!) ?? []),
        { labels, value: Number(match[3]) },
      ]);
    }
    // every metric the preset's queries select is there, with the labels they match on
    const templates = promClientTemplates(PROM_CLIENT_DEFAULTS, 'canary');
    const selected = [
      ...new Set(
        Object.values(templates).flatMap((query) =>
          [...query.matchAll(/([a-zA-Z_:][\w:]*)\{/g)].map((m) => m[1]!),
        ),
      ),
    ];
    expect(selected.sort()).toEqual([
      'http_request_duration_seconds_bucket',
      'http_request_duration_seconds_count',
      'http_request_duration_seconds_sum',
      'http_requests_total',
    ]);
    const { namespaceLabel, serviceLabel, versionLabel, statusLabel } = PROM_CLIENT_DEFAULTS;
    for (const name of selected) {
      const series = samples.get(name) ?? [];
      expect(series.length, `${name} is exposed`).toBeGreaterThan(0);
      for (const { labels } of series) {
        expect(labels, name).toMatchObject({
          [namespaceLabel]: 'demo-ns',
          [serviceLabel]: 'demo-svc',
          [versionLabel]: 'v9',
        });
        expect(labels[statusLabel], name).toMatch(/^[25]00$/);
      }
    }
    const requests = (code: string) =>
      samples.get('http_requests_total')!.find((s) => s.labels[statusLabel] === code)?.value;
    expect([requests('200'), requests('500')]).toEqual([1, 1]);
    // durations in the preset's unit (seconds): two requests of about 30 ms, not 30 (ms) each
    const sum = samples
      .get('http_request_duration_seconds_sum')!
      .reduce((total, s) => total + s.value, 0);
    expect(sum).toBeGreaterThan(0.05);
    expect(sum).toBeLessThan(2);
  });
});
