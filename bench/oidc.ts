/**
 * What signing in costs per request: the API's authentication (api/authenticator.ts behind
 * requireRole) on a route that does nothing else, through Hono's app.request, for a static token,
 * an OIDC JWT with its issuer's keys cached, and the dashboard's session cookie; plus the first
 * JWT of a fresh verifier (discovery and JWKS fetched from the local test provider on loopback).
 * Prints median and p90 in microseconds.
 * Run: npm run bench:oidc   (BENCH_QUICK=1 for a smaller run)
 */
import { performance } from 'node:perf_hooks';
import { Hono } from 'hono';
import { requireRole, TokenStore } from '../api/auth.js';
import { ApiAuthenticator } from '../api/authenticator.js';
import { createOidcAuth } from '../api/oidc/setup.js';
import { parseEngineConfig } from '../worker/engine-config.js';
import { startTestIdp } from '../test/fixtures/oidc/test-idp.js';
import { median, quantile } from './lib/stats.js';

const N = process.env.BENCH_QUICK === '1' ? 300 : 3000;
const STATIC = 'bench-static-token-0123456789';

const idp = await startTestIdp();
const oidcConfig = () => {
  const oidc = parseEngineConfig({
    auth: {
      oidc: {
        issuers: [
          {
            name: 'bench',
            issuer: idp.issuer,
            audiences: ['canary-engine', idp.clientId],
            actorClaims: ['email'],
            rules: [{ claim: 'groups', contains: 'sre', roles: ['viewer'] }],
          },
        ],
        login: {
          issuer: 'bench',
          clientId: idp.clientId,
          redirectUrl: 'http://canary.bench/ui/auth/callback',
        },
      },
    },
  }).auth.oidc;
  if (!oidc) throw new Error('no config');
  return createOidcAuth(oidc);
};

const oidc = oidcConfig();
const tokens = new TokenStore([{ name: 'bench', token: STATIC, roles: ['viewer'] }]);
const app = new Hono();
app.onError((error, c) => c.text(String(error), 500));
app.get('/x', requireRole(new ApiAuthenticator(tokens, oidc), 'viewer'), (c) => c.text('ok'));

const claims = { sub: 'u', email: 'bench@example.com', groups: ['sre'] };
const jwt = await idp.mint(claims, { audience: 'canary-engine', expiresIn: 3600 });
const login = oidc.login;
if (!login) throw new Error('no login');
const session = await login.sealer.seal(
  'session',
  { issuer: 'bench', claims },
  login.sessionTtlSeconds,
);
const cookie = `${login.cookies.sessionName}=${session}`;

async function measure(headers: Record<string, string>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < N + 50; i += 1) {
    const t0 = performance.now();
    const res = await app.request('/x', { headers });
    const t1 = performance.now();
    if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
    if (i >= 50) samples.push((t1 - t0) * 1000);
  }
  return samples;
}

// cold: a fresh verifier fetches discovery and the JWKS for its first token
const cold: number[] = [];
for (let i = 0; i < (N >= 3000 ? 30 : 10); i += 1) {
  const fresh = oidcConfig();
  const t0 = performance.now();
  await fresh.verifier.authenticate(jwt);
  cold.push((performance.now() - t0) * 1000);
}

const rows: [string, number[]][] = [
  ['static token', await measure({ authorization: `Bearer ${STATIC}` })],
  ['OIDC JWT, keys cached (RS256)', await measure({ authorization: `Bearer ${jwt}` })],
  ['dashboard session cookie', await measure({ cookie })],
  ['first JWT of a fresh verifier (discovery + JWKS)', cold],
];
console.log(`authentication per request (${N} requests each; µs)`);
console.log('what | median | p90');
for (const [name, xs] of rows)
  console.log(`${name} | ${median(xs).toFixed(0)} | ${quantile(xs, 0.9).toFixed(0)}`);
await idp.close();
