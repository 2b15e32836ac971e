/**
 * The dashboard in a real headless Chromium (Debian's, driven by playwright-core; nothing
 * downloads a browser) against a real API server, Temporal and a worker running the real workflow
 * with fake activities whose analysis runs the real judge on deterministic buckets
 * (test/fixtures/ui/dashboard-stack.ts): the list shows releases, a release page draws its charts
 * with a marker per decision and the numbers the judge compared, a viewer sees no action buttons,
 * and an approver approves a gated release from the page and the release proceeds. Skipped, with
 * the reason, only when no Chromium is installed (scripts/chromium.mjs installs it in `npm test`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { ReleaseStatusResponse } from '../../api/schemas.js';
import type { ApiServer } from '../../api/server.js';
import { buildUi } from '../../scripts/ui-build.mjs';
import { specBody, startApiStack, TOKENS, type ApiStack } from '../harness/api.js';
import {
  chromiumPath,
  judgedAnalysis,
  launchChromium,
  openSignedIn,
  startVia,
  statusWhen,
  syntheticMetrics,
  syntheticSeries,
} from '../fixtures/ui/dashboard-stack.js';

const executable = chromiumPath();
if (!executable)
  console.warn(
    '[ui-browser] skipped: no Chromium found (install Debian\'s "chromium" or run node scripts/chromium.mjs)',
  );

interface ChartData {
  metric: string;
  source: string;
  buckets: number;
  x: number[];
  canary: (number | null)[];
  baseline: (number | null)[];
  looks: {
    decision: number;
    step: number;
    look: number;
    verdict: string;
    canary: number | null;
    baseline: number | null;
  }[];
}

describe.skipIf(!executable)('the dashboard in Chromium', () => {
  let stack: ApiStack;
  let server: ApiServer;
  let browser: Browser;
  const ended = (s: ReleaseStatusResponse) => !s.running;

  beforeAll(async () => {
    await buildUi({ quiet: true });
    stack = await startApiStack({ activities: judgedAnalysis() });
    server = await stack.serve({ metricsFor: () => syntheticMetrics() });
    browser = await launchChromium(executable as string);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('lists releases with their phase, filtered by service', async () => {
    const body = specBody({ canaryVersion: 'bad-v2' });
    const id = await startVia(server.url, TOKENS.deployer, body);
    await statusWhen(server.url, TOKENS.viewer, id, ended);
    const page = await openSignedIn(browser, `${server.url}/ui/`, TOKENS.viewer);
    await page.getByLabel('Service').fill(String(body.service));
    await page.getByRole('button', { name: 'Filter' }).click();
    const row = page.locator(`tr[data-release-id="${id}"]`);
    await row.waitFor();
    expect(await row.locator('.badge').textContent()).toBe('RolledBack');
    expect(await page.locator('#release-rows tr').count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('service')).toBe(body.service);
    await page.context().close();
  }, 60_000);

  it("draws a rolled-back release's charts with a marker per decision at the judged numbers", async () => {
    const id = await startVia(server.url, TOKENS.deployer, specBody({ canaryVersion: 'bad-v3' }));
    const status = (await statusWhen(
      server.url,
      TOKENS.viewer,
      id,
      ended,
    )) as ReleaseStatusResponse;
    expect(status.phase).toBe('RolledBack');
    expect(status.decisions.length).toBeGreaterThan(0);
    const page = await openSignedIn(browser, `${server.url}/ui/releases/${id}`, TOKENS.viewer);
    await page.locator('figure[data-metric="errorRate"] canvas').waitFor();
    const charts = await page
      .locator('figure[data-metric]')
      .evaluateAll((figures) =>
        figures.map((f) => JSON.parse(f.getAttribute('data-chart') ?? '{}')),
      );
    const judged = (status.decisions[0]?.decision.metrics as { metric: string }[]).map(
      (m) => m.metric,
    );
    expect(charts.map((c: ChartData) => c.metric)).toEqual(judged);
    for (const chart of charts as ChartData[]) {
      // one marker per decision, at the means the judge compared
      expect(chart.looks).toHaveLength(status.decisions.length);
      chart.looks.forEach((look, i) => {
        const d = status.decisions[i]!;
        const m = (
          d.decision.metrics as {
            metric: string;
            canary: { mean: number };
            baseline: { mean: number };
          }[]
        ).find((r) => r.metric === chart.metric)!;
        expect(look).toMatchObject({ step: d.step, look: d.look, verdict: d.decision.verdict });
        expect(look.canary).toBeCloseTo(m.canary.mean, 12);
        expect(look.baseline).toBeCloseTo(m.baseline.mean, 12);
      });
      // the lines are the per-bucket values of the release's own metrics
      expect(chart.source).toBe('buckets');
      expect(chart.buckets).toBeGreaterThan(0);
    }
    // the bucket line's values are the metrics source's, by the judge's rule
    const errorRate = (charts as ChartData[]).find((c) => c.metric === 'errorRate')!;
    const t = errorRate.x.find((_, i) => errorRate.canary[i] !== null)!;
    const bucket = syntheticSeries(
      {
        releaseId: id,
        namespace: 'default',
        service: status.service,
        stableVersion: 'v1',
        canaryVersion: 'bad-v3',
      },
      { startMs: t * 1000 - 1000, endMs: t * 1000, bucketMs: 1000 },
    ).canary[0]!;
    expect(errorRate.canary[errorRate.x.indexOf(t)]).toBeCloseTo(
      bucket.errors / bucket.requests,
      12,
    );
    // the decisions, their explanations and full records
    expect(await page.locator('#decisions > li').count()).toBe(status.decisions.length);
    expect(await page.locator('#decisions').textContent()).toContain(
      status.decisions[status.decisions.length - 1]!.decision.explanation,
    );
    expect(await page.locator('.summary .badge').textContent()).toBe('RolledBack');
    expect(await page.locator('#weight-chart canvas').count()).toBeGreaterThan(0);
    expect(
      await page.getByRole('link', { name: 'Open in the Temporal UI' }).getAttribute('href'),
    ).toBe(status.links.temporalUi);
    await page.context().close();
  }, 60_000);

  it('shows a viewer no action buttons; an approver approves a gated release from the page and it proceeds', async () => {
    const gated = specBody({
      schedule: {
        steps: [
          { weight: 10, observe: '1s' },
          { weight: 50, observe: '1s', approval: true },
        ],
      },
    });
    const id = await startVia(server.url, TOKENS.deployer, gated);
    await statusWhen(
      server.url,
      TOKENS.viewer,
      id,
      (s: ReleaseStatusResponse) => s.pendingGate !== null,
    );

    const viewer = await openSignedIn(browser, `${server.url}/ui/releases/${id}`, TOKENS.viewer);
    expect(await viewer.locator('#release-gate').textContent()).toContain('Waiting for approval');
    expect(await viewer.locator('#release-actions button').count()).toBe(0);

    // an approver that may also read (the local stack's generated approver token is one)
    const approver = await openSignedIn(browser, `${server.url}/ui/releases/${id}`, TOKENS.ops);
    const approve = approver.getByRole('button', { name: `Approve release ${id}` });
    await approve.waitFor();
    const labels = await approver.locator('#release-actions button').allTextContents();
    expect(labels).toEqual(['Approve', 'Promote now', 'Abort']);
    await approve.click();
    const dialog = approver.getByRole('dialog');
    await dialog.getByLabel('Comment (optional)').fill('charts look fine');
    await dialog.getByRole('button', { name: 'Confirm: Approve' }).click();
    const done = (await statusWhen(server.url, TOKENS.viewer, id, ended)) as ReleaseStatusResponse;
    expect(done.phase).toBe('Promoted');
    expect(done.actions).toContainEqual(
      expect.objectContaining({ action: 'approve', actor: 'ops', comment: 'charts look fine' }),
    );
    // the page follows the release live to its end
    await approver.locator('body[data-phase="Promoted"]').waitFor({ timeout: 15_000 });
    expect(await approver.locator('#release-actions button').count()).toBe(0);
    await viewer.context().close();
    await approver.context().close();
  }, 60_000);
});
