/**
 * `npm run bench:ui`: the dashboard's figures. The bundle's size (raw and gzip, as built by
 * scripts/ui-build.mjs), and the time to first paint of a release page whose charts hold 2 hours of
 * 10 s buckets (720 per arm and metric) — first contentful paint (the server-rendered shell) and
 * the moment the page stands complete with every chart drawn (the client's `dashboard-rendered`
 * mark) — in headless Debian Chromium against a real stack, median and p90 over several fresh loads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { MetricsProvider } from '../activities/metrics/types.js';
import { buildUi } from '../scripts/ui-build.mjs';
import { testSpecBody } from '../test/harness/release-spec.js';
import {
  chromiumPath,
  launchChromium,
  startVia,
  statusWhen,
  syntheticSeries,
} from '../test/fixtures/ui/dashboard-stack.js';
import { SCRIPT_TOKENS, startScriptStack } from '../test/fixtures/ui/script-stack.js';
import { median, quantile } from './lib/stats.js';

const LOADS = Number(process.env.BENCH_UI_LOADS ?? 15);
const HOURS = 2;
const BUCKET_MS = 10_000;

const { outDir, sizes } = await buildUi({ force: true, quiet: true });
console.log('Dashboard bundle (minified; uPlot included)');
console.log('file | raw | gzip');
for (const file of Object.keys(sizes)) {
  const content = readFileSync(join(outDir, file));
  console.log(
    `${file} | ${(content.length / 1024).toFixed(1)} KiB | ${(gzipSync(content, { level: 9 }).length / 1024).toFixed(1)} KiB`,
  );
}

const executable = chromiumPath();
if (!executable) {
  console.error('no Chromium: run node scripts/chromium.mjs first');
  process.exit(1);
}
// the release's metrics source answers the last 2 hours of 10 s buckets, whatever the range asked
const twoHours = (): MetricsProvider => ({
  name: 'synthetic-2h',
  isOnline: async () => {},
  fetchBuckets: async (target, range) => {
    const endMs = Math.floor(range.endMs / BUCKET_MS) * BUCKET_MS;
    return syntheticSeries(target, {
      startMs: endMs - HOURS * 3_600_000,
      endMs,
      bucketMs: BUCKET_MS,
    });
  },
});
const stack = await startScriptStack({ metrics: twoHours });
const browser = await launchChromium(executable);
try {
  const url = stack.api.url;
  const id = await startVia(
    url,
    SCRIPT_TOKENS.ops,
    testSpecBody({ canaryVersion: 'bad-v2', namespace: 'bench' }),
  );
  await statusWhen(url, SCRIPT_TOKENS.ops, id, (s) => !s.running, 60_000);
  const fcp: number[] = [];
  const complete: number[] = [];
  let buckets = 0;
  for (let i = 0; i < LOADS + 1; i += 1) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(
      (token) => sessionStorage.setItem('canary-api-token', token),
      SCRIPT_TOKENS.viewer,
    );
    const page = await context.newPage();
    await page.goto(`${url}/ui/releases/${id}`);
    await page.locator('body[data-loaded="true"]').waitFor({ timeout: 30_000 });
    const timing = await page.evaluate(() => ({
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
      done: performance.getEntriesByName('dashboard-rendered')[0]?.startTime ?? NaN,
      buckets:
        (
          JSON.parse(
            document.querySelector('figure[data-metric]')?.getAttribute('data-chart') ?? '{}',
          ) as {
            buckets?: number;
          }
        ).buckets ?? 0,
    }));
    await context.close();
    if (i === 0) continue; // the first load warms the API's caches and Chromium
    fcp.push(timing.fcp);
    complete.push(timing.done);
    buckets = timing.buckets;
  }
  console.log(
    `\nRelease page with ${HOURS} h of ${BUCKET_MS / 1000} s buckets (${buckets} per arm and metric), ${LOADS} fresh loads`,
  );
  console.log('measure | median | p90');
  console.log(
    `first contentful paint | ${median(fcp).toFixed(0)} ms | ${quantile(fcp, 0.9).toFixed(0)} ms`,
  );
  console.log(
    `charts drawn (page complete) | ${median(complete).toFixed(0)} ms | ${quantile(complete, 0.9).toFixed(0)} ms`,
  );
} finally {
  await browser.close();
  await stack.stop();
}
