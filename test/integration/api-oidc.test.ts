/**
 * Sign-in with OIDC (issue #17 item 2) through the real API on a real worker and Temporal: bearer
 * JWTs from two local OpenID providers (keys generated here, discovery and JWKS over HTTP) mapped
 * to roles and scopes by the operator's rules, and the dashboard's authorization code + PKCE
 * round trip against the test provider's authorize and token endpoints.
 */
import { randomBytes } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createApp } from '../../api/app.js';
import { createOidcAuth, type OidcAuth } from '../../api/oidc/setup.js';
import { parseEngineConfig } from '../../worker/engine-config.js';
import { auth, specBody, startApiStack, TOKENS, type ApiStack } from '../harness/api.js';
import { startTestIdp, type TestIdp } from '../fixtures/oidc/test-idp.js';

type App = ReturnType<typeof createApp>;
interface Problem {
  status: number;
  type: string;
  detail: string;
}

const suffix = randomBytes(3).toString('hex');
const NS_A = `oidc-a-${suffix}`;
const NS_B = `oidc-b-${suffix}`;
const PUBLIC = 'http://canary.test';
const SECRET_ENV = {
  TEST_OIDC_CLIENT_SECRET: '',
  TEST_OIDC_SESSION_KEY: randomBytes(32).toString('base64'),
};
const GITHUB_CLAIMS = { repository: 'org/app', workflow: 'deploy', sub: 'repo:org/app:ref:main' };

function engineConfig(ci: TestIdp, company: TestIdp, redirectUrl = `${PUBLIC}/ui/auth/callback`) {
  return parseEngineConfig({
    auth: {
      oidc: {
        issuers: [
          {
            name: 'github',
            issuer: ci.issuer,
            audiences: ['canary-engine'],
            algorithms: ['RS256'],
            actorClaims: ['repository', 'workflow'],
            rules: [
              {
                claim: 'repository',
                equals: 'org/app',
                roles: ['deployer', 'viewer'],
                scopes: [NS_A],
              },
              { claim: 'repository', equals: 'org/reader', roles: ['viewer'] },
            ],
          },
          {
            name: 'company',
            issuer: company.issuer,
            audiences: ['canary-engine', company.clientId],
            actorClaims: ['email'],
            rules: [
              {
                claim: 'groups',
                contains: 'release-managers',
                roles: ['deployer', 'approver', 'viewer'],
              },
              { claim: 'groups', contains: 'readers', roles: ['viewer'] },
            ],
          },
        ],
        login: {
          issuer: 'company',
          clientId: company.clientId,
          clientSecret: { env: 'TEST_OIDC_CLIENT_SECRET' },
          redirectUrl,
          sessionKey: { env: 'TEST_OIDC_SESSION_KEY' },
        },
      },
    },
  }).auth.oidc;
}

function oidcFor(
  ci: TestIdp,
  company: TestIdp,
  redirectUrl?: string,
  cacheMaxAgeMs?: number,
): OidcAuth {
  const config = engineConfig(ci, company, redirectUrl);
  if (!config) throw new Error('no oidc config');
  return createOidcAuth(config, {
    io: { env: SECRET_ENV, readFile: () => '' },
    ...(cacheMaxAgeMs !== undefined ? { issuer: { cacheMaxAgeMs } } : {}),
  });
}

const get = (app: App, path: string, headers: Record<string, string> = {}) =>
  app.request(path, { headers });
const post = (app: App, path: string, body: unknown, headers: Record<string, string>) =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** `name=value` of a Set-Cookie line, and the line itself. */
function cookieNamed(res: Response, name: string): { pair: string; line: string } | undefined {
  const line = res.headers.getSetCookie().find((l) => l.startsWith(`${name}=`));
  return line ? { pair: line.split(';')[0] as string, line } : undefined;
}

describe('OIDC sign-in', () => {
  let stack: ApiStack;
  let ci: TestIdp & { setRedirectUri(uri: string): void };
  let company: TestIdp & { setRedirectUri(uri: string): void };
  let app: App;
  const started: string[] = [];

  beforeAll(async () => {
    ci = await startTestIdp();
    company = await startTestIdp({ redirectUri: `${PUBLIC}/ui/auth/callback` });
    SECRET_ENV.TEST_OIDC_CLIENT_SECRET = company.clientSecret;
    stack = await startApiStack();
    app = stack.appWith({ oidc: oidcFor(ci, company) });
  }, 60_000);

  afterAll(async () => {
    for (const id of started)
      await post(app, `/v1/releases/${id}/abort`, { reason: 'test over' }, auth(TOKENS.ops));
    await stack?.stop();
    await ci?.close();
    await company?.close();
  });

  const ciToken = (claims = GITHUB_CLAIMS) => ci.mint(claims, { audience: 'canary-engine' });
  const alice = { sub: 'u-1', email: 'alice@example.com', groups: ['release-managers'] };

  describe('bearer JWTs', () => {
    it('starts a release in its scope with a GitHub-style token, and an approver from the company IdP aborts it as named by the email claim', async () => {
      const spec = specBody({ namespace: NS_A, releaseId: `oidc-${suffix}-1` });
      const res = await post(app, '/v1/releases', spec, auth(await ciToken()));
      expect(res.status).toBe(201);
      started.push(spec.releaseId as string);
      const token = await company.mint(alice, { audience: 'canary-engine' });
      const abort = await post(
        app,
        `/v1/releases/${spec.releaseId as string}/abort`,
        { reason: 'checking actors' },
        auth(token),
      );
      expect(abort.status).toBe(200);
      const status = (await (
        await get(app, `/v1/releases/${spec.releaseId as string}`, auth(token))
      ).json()) as {
        actions: { action: string; actor: string }[];
      };
      expect(status.actions.map((a) => `${a.action} by ${a.actor}`)).toContain(
        'abort by alice@example.com',
      );
    });

    const refusals: [string, (idp: TestIdp) => Promise<string>, RegExp][] = [
      [
        'an expired token',
        (i) => i.mint(GITHUB_CLAIMS, { audience: 'canary-engine', expiresIn: -120 }),
        /has expired/,
      ],
      [
        'a token not valid yet',
        (i) => i.mint(GITHUB_CLAIMS, { audience: 'canary-engine', notBefore: 600 }),
        /not valid yet/,
      ],
      [
        'a token for another audience',
        (i) => i.mint(GITHUB_CLAIMS, { audience: 'someone-else' }),
        /audience is not one this API accepts from github \(canary-engine\)/,
      ],
      [
        'a token of a foreign issuer',
        (i) => i.mint(GITHUB_CLAIMS, { audience: 'canary-engine', issuer: 'https://evil.example' }),
        /issuer is not one this API trusts/,
      ],
      [
        "a token signed by another key under the issuer's key id",
        async (i) =>
          i.mint(GITHUB_CLAIMS, {
            audience: 'canary-engine',
            key: (await generateKeyPair('RS256')).privateKey,
          }),
        /signature does not verify with the keys of github/,
      ],
      [
        'an HS256 token',
        (i) =>
          new SignJWT(GITHUB_CLAIMS)
            .setProtectedHeader({ alg: 'HS256', kid: 'test-key-1' })
            .setIssuer(i.issuer)
            .setAudience('canary-engine')
            .setExpirationTime('5m')
            .sign(new TextEncoder().encode('a-shared-secret-that-is-long-enough')),
        /algorithm is not allowed for github \(allowed: RS256\)/,
      ],
    ];
    for (const [what, mint, reason] of refusals) {
      it(`answers 401 invalid_token with a short reason for ${what}, never echoing the token`, async () => {
        const token = await mint(ci);
        const res = await get(app, '/v1/releases', auth(token));
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        const challenge = res.headers.get('www-authenticate') ?? '';
        expect(challenge).toMatch(
          /^Bearer realm="canary", error="invalid_token", error_description="/,
        );
        const text = await res.text();
        expect((JSON.parse(text) as Problem).detail).toMatch(reason);
        for (const part of token.split('.')) {
          expect(text).not.toContain(part);
          expect(challenge).not.toContain(part);
        }
      });
    }

    it('answers 403 naming the role when a valid token matches no rule', async () => {
      const res = await get(
        app,
        '/v1/releases',
        auth(await ciToken({ ...GITHUB_CLAIMS, repository: 'org/other' })),
      );
      expect(res.status).toBe(403);
      expect(((await res.json()) as Problem).detail).toBe(
        'this call needs the viewer role; the token of org/other:deploy has no role',
      );
    });

    it('answers 403 naming the deployer role for a token whose rule gives only viewer', async () => {
      const token = await ciToken({ ...GITHUB_CLAIMS, repository: 'org/reader' });
      expect((await get(app, '/v1/releases', auth(token))).status).toBe(200);
      const res = await post(app, '/v1/releases', specBody({ namespace: NS_A }), auth(token));
      expect(res.status).toBe(403);
      expect(((await res.json()) as Problem).detail).toContain('needs the deployer role');
    });

    it('lists only releases in the scope of its rule and refuses to start or read one outside it', async () => {
      const other = specBody({ namespace: NS_B, releaseId: `oidc-${suffix}-b` });
      expect((await post(app, '/v1/releases', other, auth(TOKENS.ops))).status).toBe(201);
      started.push(other.releaseId as string);
      const mine = specBody({ namespace: NS_A, releaseId: `oidc-${suffix}-a` });
      const token = await ciToken();
      expect((await post(app, '/v1/releases', mine, auth(token))).status).toBe(201);
      started.push(mine.releaseId as string);

      const list = (await (await get(app, '/v1/releases?pageSize=100', auth(token))).json()) as {
        releases: { id: string; namespace: string }[];
      };
      const ids = list.releases.map((r) => r.id);
      expect(ids).toContain(mine.releaseId);
      expect(ids).not.toContain(other.releaseId);
      expect(new Set(list.releases.map((r) => r.namespace))).toEqual(new Set([NS_A]));

      const read = await get(app, `/v1/releases/${other.releaseId as string}`, auth(token));
      expect(read.status).toBe(403);
      const start = await post(app, '/v1/releases', specBody({ namespace: NS_B }), auth(token));
      expect(start.status).toBe(403);
      expect(((await start.json()) as Problem).detail).toContain(`it is scoped to ${NS_A}`);
    });

    it('keeps static tokens working unchanged, and a wrong static token is still a plain 401', async () => {
      expect((await get(app, '/v1/releases', auth(TOKENS.viewer))).status).toBe(200);
      const res = await get(app, '/v1/releases', auth('not-a-configured-token-0123'));
      expect(res.status).toBe(401);
      expect(((await res.json()) as Problem).detail).toBe('the bearer token is not valid');
    });

    it('keeps verifying with the keys it fetched last while the JWKS fails, without refetching on every request', async () => {
      const short = stack.appWith({ oidc: oidcFor(ci, company, undefined, 1) });
      const token = await ciToken();
      expect((await get(short, '/v1/releases', auth(token))).status).toBe(200);
      ci.failJwks = true;
      try {
        await new Promise((r) => setTimeout(r, 5));
        const before = ci.jwksRequests;
        expect((await get(short, '/v1/releases', auth(token))).status).toBe(200);
        expect(ci.jwksRequests).toBe(before + 1);
        expect((await get(short, '/v1/releases', auth(await ciToken()))).status).toBe(200);
        expect(ci.jwksRequests).toBe(before + 1);
      } finally {
        ci.failJwks = false;
      }
    });

    it('answers 503 with Retry-After, not 500, when the JWKS was never fetched and cannot be', async () => {
      ci.failJwks = true;
      try {
        const fresh = stack.appWith({ oidc: oidcFor(ci, company) });
        const res = await get(fresh, '/v1/releases', auth(await ciToken()));
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('30');
        const text = await res.text();
        expect((JSON.parse(text) as Problem).type).toBe(
          'urn:canary-engine:problem:identity-provider-unavailable',
        );
        expect(text).not.toContain('keys are down');
      } finally {
        ci.failJwks = false;
      }
    });
  });

  describe('dashboard sign-in (authorization code + PKCE)', () => {
    /** Drives the browser's part: our login → the provider's authorize → our callback. */
    async function signIn(as: Record<string, unknown>, next = '/ui/releases/x') {
      company.signInAs(as);
      const begin = await get(app, `/ui/auth/login?next=${encodeURIComponent(next)}`);
      expect(begin.status).toBe(302);
      const authorize = new URL(begin.headers.get('location') as string);
      expect(authorize.origin).toBe(company.issuer);
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      const loginCookie = cookieNamed(begin, 'canary-login');
      expect(loginCookie?.line).toMatch(/HttpOnly/);
      expect(loginCookie?.line).toMatch(/SameSite=Lax/);
      const back = await fetch(authorize, { redirect: 'manual' });
      expect(back.status).toBe(302);
      const callback = new URL(back.headers.get('location') as string);
      expect(callback.origin).toBe(PUBLIC);
      return {
        callback,
        loginCookie: loginCookie?.pair as string,
        finish: () =>
          get(app, `${callback.pathname}${callback.search}`, {
            cookie: loginCookie?.pair as string,
          }),
      };
    }

    it('signs in through the provider with PKCE and the session cookie then reads /v1/releases', async () => {
      const refusalsBefore = company.pkceRefusals;
      const done = await (await signIn(alice)).finish();
      expect(done.status).toBe(303);
      expect(done.headers.get('location')).toBe('/ui/releases/x');
      const session = cookieNamed(done, 'canary-session');
      expect(session?.line).toMatch(/HttpOnly/);
      expect(session?.line).toMatch(/SameSite=Strict/);
      expect(session?.line).toMatch(/Max-Age=28800/);
      expect(session?.line).not.toMatch(/Secure/);
      expect(session?.pair).not.toContain('alice');
      expect(company.pkceRefusals).toBe(refusalsBefore);
      const list = await get(app, '/v1/releases', { cookie: session?.pair as string });
      expect(list.status).toBe(200);
      expect((await list.json()) as object).toHaveProperty('releases');
    });

    it('refuses a callback whose state was forged and sets no session', async () => {
      const { callback, loginCookie } = await signIn(alice);
      callback.searchParams.set('state', 'forged-state-value');
      const res = await get(app, `${callback.pathname}${callback.search}`, { cookie: loginCookie });
      expect(res.status).toBe(400);
      const problem = (await res.json()) as Problem;
      expect(problem.type).toBe('urn:canary-engine:problem:sign-in-failed');
      expect(problem.detail).toContain('state does not match');
      expect(cookieNamed(res, 'canary-session')).toBeUndefined();
    });

    it('refuses a callback without the sign-in cookie (started in another browser)', async () => {
      const { callback } = await signIn(alice);
      const res = await get(app, `${callback.pathname}${callback.search}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as Problem).detail).toContain('started in another browser');
    });

    it('refuses to open a session for an identity no rule gives a role', async () => {
      const res = await (
        await signIn({ sub: 'u-2', email: 'mallory@example.com', groups: [] })
      ).finish();
      expect(res.status).toBe(403);
      expect(((await res.json()) as Problem).detail).toContain('signed in as mallory@example.com');
      expect(cookieNamed(res, 'canary-session')).toBeUndefined();
    });

    it('never redirects after sign-in outside the dashboard', async () => {
      const done = await (await signIn(alice, 'https://evil.example/')).finish();
      expect(done.headers.get('location')).toBe('/ui/');
      const slashes = await (await signIn(alice, '//evil.example/ui/')).finish();
      expect(slashes.headers.get('location')).toBe('/ui/');
    });

    it('refuses a write by session cookie without the public Origin, and accepts it with it', async () => {
      const done = await (await signIn(alice)).finish();
      const cookie = cookieNamed(done, 'canary-session')?.pair as string;
      const spec = specBody({ namespace: NS_A, releaseId: `oidc-${suffix}-c` });
      const without = await post(app, '/v1/releases', spec, { cookie });
      expect(without.status).toBe(403);
      expect(((await without.json()) as Problem).detail).toContain(`must come from ${PUBLIC}`);
      const foreign = await post(app, '/v1/releases', spec, {
        cookie,
        origin: 'https://evil.example',
      });
      expect(foreign.status).toBe(403);
      const same = await post(app, '/v1/releases', spec, { cookie, origin: PUBLIC });
      expect(same.status).toBe(201);
      started.push(spec.releaseId as string);
    });

    it('answers 401 for a tampered session cookie and clears it', async () => {
      const done = await (await signIn(alice)).finish();
      const pair = cookieNamed(done, 'canary-session')?.pair as string;
      const tampered = `${pair.slice(0, -4)}AAAA`;
      const res = await get(app, '/v1/releases', { cookie: tampered });
      expect(res.status).toBe(401);
      expect(cookieNamed(res, 'canary-session')?.line).toMatch(/Max-Age=0/);
    });

    it('signs out only from the dashboard origin and clears the session', async () => {
      expect((await app.request('/ui/auth/logout', { method: 'POST' })).status).toBe(403);
      const res = await app.request('/ui/auth/logout', {
        method: 'POST',
        headers: { origin: PUBLIC },
      });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/ui/');
      expect(cookieNamed(res, 'canary-session')?.line).toMatch(/Max-Age=0/);
    });

    it('marks cookies Secure, and the session __Host-, when the public URL is https', async () => {
      const redirectUrl = 'https://canary.example/ui/auth/callback';
      const secure = stack.appWith({ oidc: oidcFor(ci, company, redirectUrl) });
      company.setRedirectUri(redirectUrl);
      company.signInAs(alice);
      try {
        const begin = await get(secure, '/ui/auth/login');
        const login = cookieNamed(begin, '__Secure-canary-login');
        expect(login?.line).toMatch(/; Secure/);
        const authorize = new URL(begin.headers.get('location') as string);
        expect(authorize.searchParams.get('redirect_uri')).toBe(redirectUrl);
        const back = new URL(
          (await fetch(authorize, { redirect: 'manual' })).headers.get('location') as string,
        );
        const done = await get(secure, `${back.pathname}${back.search}`, {
          cookie: login?.pair as string,
        });
        expect(done.status).toBe(303);
        const session = cookieNamed(done, '__Host-canary-session')?.line;
        expect(session).toMatch(/; Path=\/;/);
        expect(session).toMatch(/; Secure/);
        expect(session).not.toMatch(/Domain=/);
      } finally {
        company.setRedirectUri(`${PUBLIC}/ui/auth/callback`);
      }
    });

    it('answers 404 with a reason when sign-in is not configured', async () => {
      const res = await get(stack.app, '/ui/auth/login');
      expect(res.status).toBe(404);
      expect(((await res.json()) as Problem).detail).toContain('auth.oidc.login');
    });
  });
});
