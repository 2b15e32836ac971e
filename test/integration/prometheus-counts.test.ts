/**
 * Counts that are counts, on a real Prometheus: healthy releases scraped every 15 s and every
 * 30 s (test/fixtures/metrics/scraped-releases.ts), read through PrometheusProvider. Every bucket
 * equals what the exporter counted between its scrapes, so error counts stay Poisson (variance /
 * mean ≈ 1), where the old `increase()` buckets are inflated by about bucket / (bucket − scrape
 * interval). bench/counts.ts runs the same with thousands of releases for the false-rollback rates.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PrometheusProvider } from '../../activities/metrics/prometheus.js';
import { metricsSpecSchema } from '../../core/metrics/config.js';
import { releaseWorkloads, startExporter } from '../harness/exporter.js';
import { startPrometheus } from '../harness/prometheus.js';
import {
  judgeReleases,
  startScrapedReleases,
  type ScrapedData,
} from '../fixtures/metrics/scraped-releases.js';

const started: ScrapedData[] = [];
afterAll(async () => {
  await Promise.all(started.map((data) => data.stop()));
});

describe('buckets read from a real Prometheus', () => {
  it.each([
    { scrapeMs: 15_000, oldInflation: 60 / 45 },
    { scrapeMs: 30_000, oldInflation: 60 / 30 },
  ])(
    'equal the exporter’s own counts exactly at $scrapeMs ms scrapes, where increase() inflates the variance',
    async ({ scrapeMs, oldInflation }) => {
      const data = await startScrapedReleases({
        releases: 120,
        scrapeMs,
        requestsPerMinute: 1000,
        errorRate: 0.02,
        podsPerArm: 2,
        seed: scrapeMs,
      });
      started.push(data);
      const result = await judgeReleases(data, { alpha: 0.01 });
      console.log(`scrape ${scrapeMs / 1000}s`, JSON.stringify(result));
      // 120 releases × 2 arms × 10 buckets, every one exact (errors from series that appear mid-window included)
      expect(result.new.buckets).toBe(2400);
      expect(result.new.exactBuckets).toBe(2400);
      expect(result.old.exactBuckets).toBeLessThan(result.old.buckets / 10);
      // 2,400 Poisson counts: the dispersion index's standard error is about 0.03
      expect(result.new.dispersion).toBeGreaterThan(0.88);
      expect(result.new.dispersion).toBeLessThan(1.12);
      expect(result.old.dispersion).toBeGreaterThan(oldInflation - 0.2);
      expect(result.old.dispersion).toBeLessThan(oldInflation + 0.2);
      // few releases: a smoke check of the verdicts (bench/counts.ts measures the rates)
      expect(result.new.rollbacks).toBeLessThanOrEqual(6);
    },
  );
});

describe('the pre-flight on a real Prometheus scraping every 15 s', () => {
  it('refuses a 20 s bucket, naming analysis.bucket and the job’s interval, and accepts 30 s', async () => {
    const exporter = await startExporter();
    const prometheus = await startPrometheus({
      scrapeTargets: [exporter.target],
      scrapeInterval: '15s',
    });
    try {
      const target = {
        releaseId: 'r',
        namespace: 'shop',
        service: 'pay',
        stableVersion: 'v1',
        canaryVersion: 'v2',
      };
      exporter.record(releaseWorkloads(target).baseline, { requests: 5 });
      const provider = new PrometheusProvider(
        metricsSpecSchema.parse({ address: prometheus.url, preset: 'prom-client' }),
        { preflightWaitMs: 40_000 },
      );
      const problems = await provider.preflight(target, { bucketMs: 20_000 });
      expect(problems).toEqual([
        {
          object: provider.name,
          message: expect.stringMatching(
            /^analysis\.bucket 20s is shorter than 2 × the scrape interval of the stable version's series \(15s, from job "test-exporter" \(\/api\/v1\/targets\)\)/,
          ) as unknown,
        },
      ]);
      expect(await provider.preflight(target, { bucketMs: 30_000 })).toEqual([]);
    } finally {
      await prometheus.stop();
      await exporter.stop();
    }
  }, 90_000);
});
