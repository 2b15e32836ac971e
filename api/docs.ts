/**
 * `/docs`: Swagger UI served from the `swagger-ui-dist` package's files by the API itself — no CDN,
 * so the explorer works on air-gapped clusters. Only a fixed list of files is served (no paths from
 * the request reach the file system).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import { ProblemError } from './problems.js';

const require = createRequire(import.meta.url);

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-16x16.png': 'image/png',
  'favicon-32x32.png': 'image/png',
};

const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: false });
});
`;

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>canary-engine API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/init.js"></script>
</body>
</html>
`;

// Swagger UI styles elements inline; scripts and everything else come from this server only.
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

function assetsDir(): string {
  return dirname(require.resolve('swagger-ui-dist/package.json'));
}

export function docsApp(): Hono {
  const app = new Hono();
  const cache = new Map<string, Promise<Buffer>>();
  const load = (file: string): Promise<Buffer> => {
    let content = cache.get(file);
    if (!content) {
      content = readFile(join(assetsDir(), file));
      cache.set(file, content);
      content.catch(() => cache.delete(file));
    }
    return content;
  };

  app.get('/', (c) => c.html(INDEX_HTML, 200, { 'content-security-policy': CSP }));

  app.get('/assets/init.js', (c) =>
    c.body(INIT_SCRIPT, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
    }),
  );

  app.get('/assets/:file', async (c) => {
    const file = c.req.param('file');
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!type) throw new ProblemError(404, 'not-found', `no documentation asset named "${file}"`);
    const content = await load(file);
    return c.body(new Uint8Array(content), 200, {
      'content-type': type,
      'cache-control': 'public, max-age=86400',
    });
  });

  return app;
}
