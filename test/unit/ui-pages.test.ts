/**
 * The dashboard's server side without a browser: page shells with a strict CSP and no inline
 * script or style, the fixed list of built assets, `GET /v1/me` for each kind of token, and the
 * pure parts of the series (per-bucket values by the judge's rule, the release's bucket range).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenStore } from '../../api/auth.js';
import { armSeries, MAX_SERIES_BUCKETS, seriesRange } from '../../api/series.js';
import { UI_CSP } from '../../api/ui/app.js';
import { auth, TOKENS, unitApp } from '../harness/api.js';

const assetsDir = mkdtempSync(join(tmpdir(), 'canary-ui-assets-'));
writeFileSync(join(assetsDir, 'dashboard.js'), 'console.log("dashboard")');
writeFileSync(join(assetsDir, 'dashboard.css'), 'body{}');
const app = unitApp({ uiAssetsDir: `${assetsDir}/` });

describe('dashboard pages', () => {
  it('serves the releases list with a strict content security policy and no inline script', async () => {
    const response = await app.request('/ui/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(UI_CSP);
    expect(UI_CSP).toContain("script-src 'self'");
    expect(UI_CSP).not.toContain('unsafe-inline');
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<script type="module" src="/ui/assets/dashboard.js"></script>');
    // every script has a src, no element carries a style attribute or an inline handler
    expect(html.match(/<script(?![^>]*src=)[^>]*>/g)).toBeNull();
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
    expect(html).toContain('<option value="RolledBack">RolledBack</option>');
    expect(html).toContain('<label for="token">API token</label>');
  });

  it('redirects /ui to /ui/', async () => {
    const response = await app.request('/ui');
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/ui/');
  });

  it('serves a release page for a valid id and a 400 problem for an invalid one', async () => {
    const page = await app.request('/ui/releases/web-v2-abc123');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-release-id="web-v2-abc123"');
    const bad = await app.request('/ui/releases/-bad-');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(((await bad.json()) as { problems: { path: string }[] }).problems[0]?.path).toBe('id');
  });

  it('serves only the built assets, with an etag', async () => {
    const js = await app.request('/ui/assets/dashboard.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = js.headers.get('etag') as string;
    const again = await app.request('/ui/assets/dashboard.js', {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    expect((await app.request('/ui/assets/..%2Fpackage.json')).status).toBe(404);
    expect((await app.request('/ui/assets/meta.json')).status).toBe(404);
  });

  it('says how to build the assets when they are missing', async () => {
    const unbuilt = unitApp({ uiAssetsDir: join(assetsDir, 'none/') });
    const response = await unbuilt.request('/ui/assets/dashboard.js');
    expect(response.status).toBe(404);
    expect(((await response.json()) as { detail: string }).detail).toContain('npm run build:ui');
  });
});

describe('GET /v1/me', () => {
  it('tells an approver its roles and every action', async () => {
    const response = await app.request('/v1/me', { headers: auth(TOKENS.approver) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      name: 'alice',
      roles: ['approver'],
      scopes: null,
      actions: ['approve', 'abort', 'pause', 'resume', 'promote', 'rollback', 'abandon'],
    });
  });

  it('tells a viewer it has no action', async () => {
    const response = await app.request('/v1/me', { headers: auth(TOKENS.viewer) });
    expect(await response.json()).toMatchObject({
      name: 'dashboard',
      roles: ['viewer'],
      actions: [],
    });
  });

  it("lists a scoped token's scopes", async () => {
    const scoped = unitApp({
      tokens: new TokenStore([
        {
          name: 'team-a-bot',
          token: 'team-a-token-0123456789',
          roles: ['viewer', 'approver'],
          scopes: [
            { namespace: 'team-a', service: '*' },
            { namespace: 'team-b', service: 'web-*' },
          ],
        },
      ]),
    });
    const response = await scoped.request('/v1/me', { headers: auth('team-a-token-0123456789') });
    expect(await response.json()).toMatchObject({ scopes: ['team-a', 'team-b/web-*'] });
  });

  it('answers 401 without a valid token', async () => {
    expect((await app.request('/v1/me')).status).toBe(401);
    expect((await app.request('/v1/me', { headers: auth('not-a-token-0123456789') })).status).toBe(
      401,
    );
  });
});

describe('series', () => {
  it('turns buckets into per-metric values by the judge rule, missing buckets as null', () => {
    const arm = armSeries([
      { requests: 200, errors: 4, latencySumMs: 2000, latencyCount: 200, latencyQuantileMs: 40 },
      null,
      { requests: 0, errors: 0, latencySumMs: 0, latencyCount: 0 },
    ]);
    expect(arm.requests).toEqual([200, null, 0]);
    expect(arm.errorRate).toEqual([0.02, null, null]);
    expect(arm.latencyMean).toEqual([10, null, null]);
    expect(arm.latencyQuantile).toEqual([40, null, null]);
  });

  it("covers a release's whole buckets from its start to its end, the latest ones when too long", () => {
    const startedAt = '2025-01-01T00:00:05.000Z';
    const t0 = Date.parse('2025-01-01T00:00:00.000Z');
    expect(
      seriesRange({ startedAt, finishedAt: '2025-01-01T00:01:07.000Z' }, 10_000, t0 + 3_600_000),
    ).toEqual({ startMs: t0, endMs: t0 + 60_000, bucketMs: 10_000, truncated: false });
    expect(seriesRange({ startedAt, finishedAt: null }, 10_000, t0 + 9_000)).toBeUndefined();
    const long = seriesRange({ startedAt, finishedAt: null }, 1000, t0 + 10_000_000);
    expect(long).toMatchObject({ endMs: t0 + 10_000_000, truncated: true });
    expect((long!.endMs - long!.startMs) / 1000).toBe(MAX_SERIES_BUCKETS);
  });
});
