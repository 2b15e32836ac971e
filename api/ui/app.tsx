/** @jsxImportSource hono/jsx */
/**
 * `/ui/`: the dashboard, served by the API itself (no CDN): server-rendered page shells
 * (api/ui/pages.tsx) and the one bundled client module and stylesheet (api/ui/assets.ts). Every
 * page carries a strict Content-Security-Policy: scripts, styles and connections only from this
 * origin, no inline script or style, no framing. The pages read the API like any client, with the
 * caller's bearer token (and `credentials: 'same-origin'`, for a session cookie).
 */
import { Hono, type Context } from 'hono';
import { RELEASE_ID_RE } from '../../core/spec.js';
import { invalidRequest, ProblemError } from '../problems.js';
import { defaultAssetsDir, UiAssets } from './assets.js';
import { ListPage, ReleasePage } from './pages.js';

/** The pages' policy: this origin only, nothing inline, no framing, no plugins, no forms elsewhere. */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': UI_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface UiOptions {
  /** Base URL of the Temporal UI (the release page links there through the status's links). */
  temporalUiUrl: string;
  /** Where the built assets are (default: api/ui/assets.ts defaultAssetsDir). */
  assetsDir?: string | undefined;
}

export function uiApp(options: UiOptions): Hono {
  const app = new Hono();
  const assets = new UiAssets(options.assetsDir ?? defaultAssetsDir());
  const page = (c: Context, body: string) => {
    for (const [name, value] of Object.entries(PAGE_HEADERS)) c.header(name, value);
    return c.html(`<!doctype html>${body}`);
  };

  app.get('/', (c) => c.redirect('/ui/', 301));
  app.get('/releases/:id', (c) => {
    const id = c.req.param('id');
    if (!RELEASE_ID_RE.test(id))
      throw invalidRequest(
        [
          {
            path: 'id',
            message:
              'must be 1-128 letters, digits, "-", "_" or "." (starting and ending with a letter or digit)',
          },
        ],
        'path',
      );
    return page(c, (<ReleasePage releaseId={id} />).toString());
  });
  app.get('/assets/:file', async (c) => {
    const file = c.req.param('file');
    const asset = assets.get(file);
    if (!asset) throw new ProblemError(404, 'not-found', `no dashboard asset named "${file}"`);
    let loaded;
    try {
      loaded = await asset;
    } catch {
      throw new ProblemError(
        404,
        'not-found',
        `the dashboard's assets are not built in ${assets.dir}: run "npm run build:ui"`,
      );
    }
    if (c.req.header('if-none-match') === loaded.etag) return c.body(null, 304);
    return c.body(loaded.body, 200, {
      'content-type': loaded.type,
      etag: loaded.etag,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
  });
  return app;
}

/** The list page lives at `/ui/` exactly (a sub-app's `/` would also answer `/ui`). */
export function uiListPage(c: Context): Response | Promise<Response> {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) c.header(name, value);
  return c.html(`<!doctype html>${(<ListPage />).toString()}`);
}
