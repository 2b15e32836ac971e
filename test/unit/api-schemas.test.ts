/**
 * Request validation and the OpenAPI document, through app.request(): every invalid field is a
 * 400 problem with its path, before anything reaches Temporal; the document generated from the
 * same schemas is valid OpenAPI 3.1 and lists every route; /docs works without a CDN.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { RELEASE_ID_RE } from '../../core/spec.js';
import { generateReleaseId } from '../../api/routes/releases.js';
import { auth, jsonHeaders, TOKENS, unitApp } from '../harness/api.js';

const app = unitApp();

const validSpec = { service: 'checkout', stableVersion: 'v1', canaryVersion: 'v2' };

async function problemsOf(res: Response): Promise<{ path: string; message: string }[]> {
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as {
    problems: { path: string; message: string }[];
    detail: string;
  };
  expect(body.detail).toMatch(/has \d+ problems?: /);
  return body.problems;
}

const start = (body: unknown) =>
  app.request('/v1/releases', {
    method: 'POST',
    headers: jsonHeaders(TOKENS.deployer),
    body: JSON.stringify(body),
  });

describe('release spec validation', () => {
  it('lists a wrong type with its field path', async () => {
    const problems = await problemsOf(
      await start({ ...validSpec, schedule: { steps: [{ weight: 'ten', observe: '1m' }] } }),
    );
    expect(problems).toEqual([
      {
        path: 'schedule.steps[0].weight',
        message: 'Invalid input: expected number, received string',
      },
    ]);
  });

  it('lists each unknown field at its own path, also nested ones', async () => {
    const problems = await problemsOf(
      await start({
        ...validSpec,
        color: 'blue',
        policies: { approval: { timeout: '1h', whenever: true } },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'color', message: 'is not a known field' },
        { path: 'policies.approval.whenever', message: 'is not a known field' },
      ]),
    );
    expect(problems).toHaveLength(2);
  });

  it('lists out-of-range weights and malformed durations together', async () => {
    const problems = await problemsOf(
      await start({
        ...validSpec,
        schedule: {
          steps: [
            { weight: 0, observe: '1m' },
            { weight: 150, observe: '5 minutes' },
          ],
        },
      }),
    );
    expect(problems).toEqual([
      { path: 'schedule.steps[0].weight', message: 'must be at least 1' },
      { path: 'schedule.steps[1].weight', message: 'must be at most 100' },
      {
        path: 'schedule.steps[1].observe',
        message: 'must be a duration such as "30s", "5m" or "1h30m"',
      },
    ]);
  });

  it("reports the linear schedule's own problems when the input is a linear schedule", async () => {
    const problems = await problemsOf(
      await start({ ...validSpec, schedule: { stepWeight: 500, maxWeight: 50, observe: '1m' } }),
    );
    expect(problems).toEqual([{ path: 'schedule.stepWeight', message: 'must be at most 100' }]);
  });

  it('says which required fields are missing', async () => {
    const problems = await problemsOf(await start({}));
    // stableVersion is read from the stable Deployment and canaryVersion from an image tag when left out
    expect(problems.map((p) => p.path)).toEqual(['service']);
    expect(problems[0]?.message).toBe('is required (string)');
  });

  it('reports problems that involve several fields', async () => {
    const problems = await problemsOf(await start({ ...validSpec, canaryVersion: 'v1' }));
    expect(problems).toEqual([
      { path: 'canaryVersion', message: 'must differ from stableVersion "v1"' },
    ]);
  });

  it('rejects a release id that could not be a workflow id', async () => {
    const problems = await problemsOf(await start({ ...validSpec, releaseId: 'has spaces' }));
    expect(problems[0]?.path).toBe('releaseId');
  });
});

describe('validation of ids, queries and action bodies', () => {
  it('rejects a release id in the path that does not match RELEASE_ID_RE', async () => {
    for (const id of ['a%22b', '-leading-dash', `${'x'.repeat(129)}`]) {
      const problems = await problemsOf(
        await app.request(`/v1/releases/${id}`, { headers: auth(TOKENS.viewer) }),
      );
      expect(problems[0]?.path).toBe('id');
    }
  });

  it('rejects filter values that could inject into the visibility query', async () => {
    const injected = encodeURIComponent('x" OR WorkflowType != "y');
    const problems = await problemsOf(
      await app.request(
        `/v1/releases?service=${injected}&namespace=${injected}&phase=${injected}`,
        { headers: auth(TOKENS.viewer) },
      ),
    );
    expect(problems.map((p) => p.path)).toEqual(['service', 'namespace', 'phase']);
  });

  it('rejects an unknown query parameter, a page size out of range and a cursor with foreign characters', async () => {
    const problems = await problemsOf(
      await app.request('/v1/releases?servce=checkout&pageSize=500&cursor=a%20b', {
        headers: auth(TOKENS.viewer),
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'servce', message: 'is not a known field' },
        { path: 'pageSize', message: 'must be at most 100' },
        { path: 'cursor', message: 'must be a cursor returned as nextCursor' },
      ]),
    );
  });

  it('rejects a cursor that this API did not issue', async () => {
    const problems = await problemsOf(
      await app.request('/v1/releases?cursor=bm90LWEtY3Vyc29y', { headers: auth(TOKENS.viewer) }),
    );
    expect(problems).toEqual([
      { path: 'cursor', message: 'must be a nextCursor returned by this API' },
    ]);
  });

  it('requires a reason to abort', async () => {
    const res = await app.request('/v1/releases/rel-1/abort', {
      method: 'POST',
      headers: jsonHeaders(TOKENS.approver),
      body: '{"reason": "   "}',
    });
    expect(await problemsOf(res)).toEqual([{ path: 'reason', message: 'is required' }]);
  });

  it('rejects unknown fields and over-long comments in action bodies', async () => {
    const res = await app.request('/v1/releases/rel-1/approve', {
      method: 'POST',
      headers: jsonHeaders(TOKENS.approver),
      body: JSON.stringify({ comment: 'x'.repeat(1001), actor: 'mallory' }),
    });
    expect(await problemsOf(res)).toEqual([
      { path: 'comment', message: 'must be at most 1000 characters' },
      { path: 'actor', message: 'is not a known field' },
    ]);
  });
});

describe('generated release ids', () => {
  it('are <service>-<canaryVersion>-<6 random chars>', () => {
    expect(generateReleaseId('checkout', 'v2.1')).toMatch(/^checkout-v2\.1-[a-z0-9]{6}$/);
    expect(generateReleaseId('checkout', 'v2')).not.toBe(generateReleaseId('checkout', 'v2'));
  });

  it('stay within RELEASE_ID_RE for the longest service and version', () => {
    const id = generateReleaseId('s'.repeat(63), `v${'1'.repeat(61)}.`);
    expect(id.length).toBeLessThanOrEqual(128);
    expect(id).toMatch(RELEASE_ID_RE);
  });
});

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const document = await (await app.request('/openapi.json')).json();
    const result = await new Validator().validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  it('lists every API route the app serves, with its method', async () => {
    const document = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const served = app.routes
      .filter(
        (r) =>
          r.method !== 'ALL' &&
          !r.path.startsWith('/docs') &&
          // the dashboard's pages and assets are not API routes; its sign-in routes are
          !(r.path.startsWith('/ui') && !r.path.startsWith('/ui/auth/')) &&
          r.path !== '/openapi.json',
      )
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([^/]+)/g, '{$1}')}`);
    const documented = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(new Set(documented)).toEqual(new Set(served));
    expect(documented).toEqual(
      expect.arrayContaining([
        'post /v1/releases',
        'get /v1/releases',
        'get /v1/releases/{id}',
        'get /v1/releases/{id}/events',
        'get /v1/releases/{id}/series',
        'get /v1/me',
        'post /v1/releases/{id}/approve',
        'post /v1/releases/{id}/abort',
        'post /v1/releases/{id}/pause',
        'post /v1/releases/{id}/resume',
        'post /v1/releases/{id}/promote',
        'post /v1/releases/{id}/rollback',
        'post /v1/releases/{id}/abandon',
        'get /healthz',
        'get /readyz',
        'get /metrics',
      ]),
    );
  });

  it('documents the release spec body from core/spec.ts, strict and with its defaults', async () => {
    const document = await (await app.request('/openapi.json')).json();
    const schema =
      document.paths['/v1/releases'].post.requestBody.content['application/json'].schema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['service']);
    expect(schema.properties.namespace.default).toBe('default');
    expect(document.paths['/v1/releases'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
  });
});

describe('the API explorer at /docs', () => {
  it('loads Swagger UI from this server only, pointed at /openapi.json', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('src="/docs/assets/swagger-ui-bundle.js"');
    expect(html).not.toMatch(/https?:\/\//);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const init = await (await app.request('/docs/assets/init.js')).text();
    expect(init).toContain("url: '/openapi.json'");
  });

  it('serves the swagger-ui-dist assets with their content types', async () => {
    const js = await app.request('/docs/assets/swagger-ui-bundle.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    const css = await app.request('/docs/assets/swagger-ui.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('serves no file outside its list', async () => {
    for (const path of [
      '/docs/assets/package.json',
      '/docs/assets/..%2Fpackage.json',
      '/docs/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    ]) {
      expect((await app.request(path)).status).toBe(404);
    }
  });
});
