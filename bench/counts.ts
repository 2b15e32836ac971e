/**
 * Counts that are counts: the false-rollback rate of healthy canaries whose buckets come from a
 * real Prometheus, read the old way (`sum(increase(x[1m]))` at step = 1m) and the new way
 * (PrometheusProvider: counters differenced at bucket boundaries).
 *
 *   npx tsx bench/counts.ts [--releases 2000] [--seed 16] [--rpm 1000]
 *
 * For each scrape interval (15 s, 30 s) it writes `--releases` healthy releases (equal rates in
 * both arms: `--rpm` requests per minute per arm, 2% errors, 2 pods per arm scraped at random
 * phases, 10 one-minute buckets) into TSDB blocks with promtool, starts Prometheus on them
 * (test/fixtures/metrics/scraped-releases.ts), reads every release both ways and judges it with
 * one exact count test (core/judge/count-test.ts, no margin) at alpha = 1% on the totals of its
 * buckets. It prints, per scrape interval and reading: false rollbacks with a 95% Wilson interval,
 * the variance/mean of the per-bucket error counts (1 for Poisson counts), and how many buckets
 * equal the exporter's own counts exactly. Rates, not timings.
 */
import { parseFlags, printTable, runCli, wholeNumber } from './lib/cli.js';
import {
  judgeReleases,
  startScrapedReleases,
  wilson,
} from '../test/fixtures/metrics/scraped-releases.js';

const ALPHA = 0.01;
const USAGE = 'usage: npx tsx bench/counts.ts [--releases 2000] [--seed 16] [--rpm 1000]';

interface Options {
  releases: number;
  seed: number;
  rpm: number;
}

function parse(argv: readonly string[]): Options | 'help' {
  const options: Options = { releases: 2000, seed: 16, rpm: 1000 };
  const outcome = parseFlags(argv, {
    '--releases': (v) => (options.releases = wholeNumber('--releases', v, 10)),
    '--seed': (v) => (options.seed = wholeNumber('--seed', v, 0)),
    '--rpm': (v) => (options.rpm = wholeNumber('--rpm', v, 1)),
  });
  return outcome === 'help' ? 'help' : options;
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

async function main(options: Options): Promise<void> {
  const rows: string[][] = [];
  for (const scrapeMs of [15_000, 30_000]) {
    const started = Date.now();
    const data = await startScrapedReleases({
      releases: options.releases,
      scrapeMs,
      requestsPerMinute: options.rpm,
      errorRate: 0.02,
      podsPerArm: 2,
      seed: options.seed + scrapeMs,
    });
    try {
      const result = await judgeReleases(data, { alpha: ALPHA });
      for (const [name, reading] of [
        ['old: increase()', result.old],
        ['new: counters at boundaries', result.new],
      ] as const) {
        const [low, high] = wilson(reading.rollbacks, reading.releases);
        rows.push([
          `${scrapeMs / 1000}s`,
          name,
          String(reading.releases),
          String(reading.rollbacks),
          percent(reading.rollbacks / reading.releases),
          `${percent(low)} – ${percent(high)}`,
          reading.dispersion.toFixed(3),
          `${reading.exactBuckets}/${reading.buckets}`,
        ]);
      }
      console.error(
        `[counts] ${scrapeMs / 1000}s: ${data.samples} samples, ${options.releases} releases in ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
    } finally {
      await data.stop();
    }
  }
  console.log(
    `\nHealthy canaries, 10 one-minute buckets, ${options.rpm} requests/min per arm, 2% errors; exact count test at alpha = ${percent(ALPHA)}\n`,
  );
  printTable(
    [
      'scrape',
      'buckets read as',
      'releases',
      'false rollbacks',
      'rate',
      '95% CI',
      'var/mean of errors',
      'exact buckets',
    ],
    rows,
    2,
  );
}

runCli('bench/counts.ts', USAGE, parse, (options) => {
  main(options).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
