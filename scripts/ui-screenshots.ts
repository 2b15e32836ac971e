/**
 * `npm run screenshots`: the README's dashboard screenshots, taken in headless Debian Chromium
 * from a real stack (Temporal dev server, the real workflow with fake activities whose analysis
 * runs the real judge on deterministic buckets, the API): the releases list, a rolled-back
 * release's page, and the same page on a phone-sized screen. Writes docs/img/dashboard-*.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { testSpecBody } from '../test/harness/release-spec.js';
import {
  chromiumPath,
  launchChromium,
  openSignedIn,
  startVia,
  statusWhen,
} from '../test/fixtures/ui/dashboard-stack.js';
import { SCRIPT_TOKENS, startScriptStack } from '../test/fixtures/ui/script-stack.js';
import { buildUi } from './ui-build.mjs';
import { repoRoot } from './lib/paths.mjs';

const executable = chromiumPath();
if (!executable) {
  console.error('no Chromium: run node scripts/chromium.mjs first');
  process.exit(1);
}
await buildUi({ quiet: true });
const out = join(repoRoot, 'docs', 'img');
mkdirSync(out, { recursive: true });

// a faulty canary gets the judge's own verdict; the others pass (their short windows hold few buckets)
const stack = await startScriptStack({
  verdict: (input) => (input.spec.canaryVersion.startsWith('bad') ? null : 'pass'),
});
const browser = await launchChromium(executable);
try {
  const url = stack.api.url;
  const steps = (approval = false) => ({
    steps: [
      { weight: 10, observe: '6s' },
      { weight: 30, observe: '6s', approval },
      { weight: 60, observe: '6s' },
    ],
  });
  const spec = (service: string, canaryVersion: string, approval = false) =>
    testSpecBody({ service, namespace: 'shop', canaryVersion, schedule: steps(approval) });
  const healthy = await startVia(url, SCRIPT_TOKENS.ops, spec('checkout', 'v2'));
  const faulty = await startVia(url, SCRIPT_TOKENS.ops, spec('payments', 'bad-v7'));
  await statusWhen(url, SCRIPT_TOKENS.ops, healthy, (s) => !s.running, 120_000);
  await statusWhen(url, SCRIPT_TOKENS.ops, faulty, (s) => !s.running, 120_000);
  await startVia(url, SCRIPT_TOKENS.ops, spec('search', 'v12', true));
  await startVia(url, SCRIPT_TOKENS.ops, spec('cart', 'v4'));
  await new Promise((r) => setTimeout(r, 8000));

  const list = await openSignedIn(browser, `${url}/ui/`, SCRIPT_TOKENS.ops, {
    width: 1280,
    height: 520,
  });
  await list.screenshot({ path: join(out, 'dashboard-list.png') });
  const page = await openSignedIn(browser, `${url}/ui/releases/${faulty}`, SCRIPT_TOKENS.ops);
  await page.locator('figure[data-metric] canvas').first().waitFor();
  await page.screenshot({ path: join(out, 'dashboard-release-rolled-back.png'), fullPage: true });
  const phone = await openSignedIn(browser, `${url}/ui/releases/${faulty}`, SCRIPT_TOKENS.ops, {
    width: 390,
    height: 844,
  });
  await phone.locator('figure[data-metric] canvas').first().waitFor();
  await phone.screenshot({ path: join(out, 'dashboard-release-narrow.png') });
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await stack.stop();
}
