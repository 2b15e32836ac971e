/**
 * The dashboard's sign-in with the operator's identity provider: OAuth 2.0 authorization code with
 * PKCE (S256) and an OpenID Connect nonce, done by the API (a confidential client when a secret is
 * configured). `GET /ui/auth/login` → the provider's authorization_endpoint; the provider sends the
 * browser back to `GET /ui/auth/callback`, which checks the state, exchanges the code, verifies the
 * ID token (issuer, audience = client id, nonce) with the bearer tokens' verifier and sets the
 * session cookie; `POST /ui/auth/logout` clears it. The only redirect targets are the provider's
 * own endpoint, the operator's redirect URL and paths under this API's /ui/ (no open redirect).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { ProblemError } from '../problems.js';
import { problemSchema } from '../schemas.js';
import { callerFromClaims, claimAt, claimsToKeep } from './claims.js';
import { LoginRefusedError, TokenRejectedError } from './errors.js';
import type { DashboardLogin, OidcAuth } from './setup.js';
import type { LoginState } from './session.js';
import { exchangeCode } from './token-endpoint.js';

const LOGIN_TTL_S = 600;
/** A path under the dashboard, optionally with a query: never another origin or a `//` path. */
const NEXT_RE = /^\/ui(\/[A-Za-z0-9._~%+-]+)*\/?(\?[A-Za-z0-9._~%&=+-]*)?$/;
const DEFAULT_NEXT = '/ui/';

const random = () => randomBytes(32).toString('base64url');
const sameText = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function notConfigured(): ProblemError {
  return new ProblemError(
    404,
    'not-found',
    'dashboard sign-in is not configured on this API (auth.oidc.login in the engine config); use a bearer token',
  );
}

function restart(login: DashboardLogin, why: string): LoginRefusedError {
  return new LoginRefusedError(`${why}; start again at ${login.cookies.basePath}/ui/auth/login`);
}

async function begin(c: Context, login: DashboardLogin): Promise<Response> {
  const metadata = await login.issuer.metadata();
  if (!metadata.authorizationEndpoint)
    throw new ProblemError(
      503,
      'identity-provider-unavailable',
      `identity provider ${login.issuer.name} names no authorization_endpoint in its discovery document`,
    );
  const next = c.req.query('next');
  const state: LoginState = {
    state: random(),
    nonce: random(),
    verifier: random(),
    next: next !== undefined && NEXT_RE.test(next) ? next : DEFAULT_NEXT,
  };
  const challenge = createHash('sha256').update(state.verifier).digest('base64url');
  const target = new URL(metadata.authorizationEndpoint);
  const params = {
    response_type: 'code',
    client_id: login.config.clientId,
    redirect_uri: login.config.redirectUrl,
    scope: login.config.scopes.join(' '),
    state: state.state,
    nonce: state.nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
  const sealed = await login.sealer.seal('login', { ...state }, LOGIN_TTL_S);
  c.header('set-cookie', login.cookies.login(sealed, LOGIN_TTL_S));
  c.header('cache-control', 'no-store');
  return c.redirect(target.href, 302);
}

async function finish(c: Context, login: DashboardLogin, oidc: OidcAuth): Promise<Response> {
  const sealed = getCookie(c, login.cookies.loginName);
  const saved = sealed ? await login.sealer.open('login', sealed) : undefined;
  if (!saved || typeof saved.state !== 'string' || typeof saved.verifier !== 'string')
    throw restart(login, 'the sign-in has expired or was started in another browser');
  const state = c.req.query('state');
  if (state === undefined || !sameText(state, saved.state))
    throw restart(login, "the sign-in's state does not match the one this browser started");
  const error = c.req.query('error');
  if (error !== undefined) {
    // an OAuth error code is a short token from a fixed list; anything else is not repeated
    const code = /^[a-z_]{1,40}$/.test(error) ? ` (${error})` : '';
    throw restart(login, `identity provider ${login.issuer.name} did not sign you in${code}`);
  }
  const code = c.req.query('code');
  if (!code) throw restart(login, 'the identity provider sent no authorization code');

  const idToken = await exchangeCode(login, code, saved.verifier);
  let claims: Record<string, unknown>;
  try {
    const verified = await oidc.verifier.verify(idToken, {
      audience: login.config.clientId,
      only: login.issuer.name,
    });
    claims = verified.claims;
  } catch (cause) {
    if (cause instanceof TokenRejectedError)
      throw restart(login, `the ID token was refused: ${cause.message}`);
    throw cause;
  }
  if (typeof claims.nonce !== 'string' || claims.nonce !== saved.nonce)
    throw restart(login, "the ID token's nonce is not the one this sign-in sent");

  const caller = callerFromClaims(claims, login.issuer.config);
  if (caller.roles.size === 0)
    throw new ProblemError(
      403,
      'forbidden',
      `signed in as ${caller.name}, but no rule of issuer ${login.issuer.name} gives this identity a role; an operator grants roles in auth.oidc.issuers[].rules`,
      { requiredRole: 'viewer' },
      { 'set-cookie': login.cookies.clearLogin() },
    );
  c.header('set-cookie', login.cookies.clearLogin(), { append: true });
  const kept: Record<string, unknown> = {};
  for (const name of claimsToKeep(login.issuer.config)) {
    const value = claimAt(claims, name);
    if (value !== undefined) kept[name] = value;
  }
  const session = await login.sealer.seal(
    'session',
    { issuer: login.issuer.name, claims: kept },
    login.sessionTtlSeconds,
  );
  c.header('set-cookie', login.cookies.session(session, login.sessionTtlSeconds), {
    append: true,
  });
  c.header('cache-control', 'no-store');
  const next =
    typeof saved.next === 'string' && NEXT_RE.test(saved.next) ? saved.next : DEFAULT_NEXT;
  return c.redirect(`${login.cookies.basePath}${next}`, 303);
}

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});
const redirect = (description: string) => ({
  description,
  headers: { location: { schema: { type: 'string' as const }, description: 'Where to go next.' } },
});
const NOT_CONFIGURED = problem('Dashboard sign-in is not configured (auth.oidc.login).');
const IDP_DOWN = problem(
  "The identity provider's discovery, keys or token endpoint cannot be reached.",
);

const loginRoute = createRoute({
  method: 'get',
  path: '/login',
  tags: ['sign-in'],
  operationId: 'signIn',
  summary: "Start the dashboard's sign-in at the identity provider (authorization code + PKCE)",
  request: {
    query: z.object({
      next: z.string().optional().openapi({
        description: 'A path under /ui/ to return to after signing in; anything else means /ui/.',
      }),
    }),
  },
  responses: {
    302: redirect(
      "To the provider's authorization_endpoint, with a short-lived sign-in cookie (state, nonce, PKCE verifier).",
    ),
    404: NOT_CONFIGURED,
    503: IDP_DOWN,
  },
});

const callbackRoute = createRoute({
  method: 'get',
  path: '/callback',
  tags: ['sign-in'],
  operationId: 'signInCallback',
  summary: 'Where the identity provider sends the browser back: checks state, exchanges the code',
  request: {
    query: z.object({
      code: z.string().optional(),
      state: z.string().optional(),
      error: z.string().optional(),
    }),
  },
  responses: {
    303: redirect('To the dashboard page asked for, with the session cookie set.'),
    400: problem(
      'The sign-in cannot complete (sign-in-failed): state missing or forged, the provider refused, or the ID token did not verify. Start again.',
    ),
    403: problem('Signed in, but no rule of the issuer gives this identity a role.'),
    404: NOT_CONFIGURED,
    503: IDP_DOWN,
  },
});

const logoutRoute = createRoute({
  method: 'post',
  path: '/logout',
  tags: ['sign-in'],
  operationId: 'signOut',
  summary: "End the dashboard session (Origin must be the dashboard's)",
  responses: {
    303: redirect('To /ui/, with the session cookie cleared.'),
    403: problem("The request's Origin is not the dashboard's (CSRF)."),
    404: NOT_CONFIGURED,
  },
});

/** The sign-in routes, mounted at /ui/auth. Without `login` configured each answers 404. */
export function loginApp(oidc: OidcAuth | undefined): OpenAPIHono {
  const app = new OpenAPIHono();
  app.openapi(loginRoute, (c) => {
    const login = oidc?.login;
    if (!login) throw notConfigured();
    return begin(c, login);
  });
  app.openapi(callbackRoute, (c) => {
    const login = oidc?.login;
    if (!oidc || !login) throw notConfigured();
    return finish(c, login, oidc);
  });
  app.openapi(logoutRoute, (c) => {
    const login = oidc?.login;
    if (!login) throw notConfigured();
    if (c.req.header('origin') !== login.publicOrigin)
      throw new ProblemError(
        403,
        'forbidden',
        `sign-out must come from the dashboard at ${login.publicOrigin} (its Origin header)`,
        { rule: 'csrf-origin' },
      );
    c.header('set-cookie', login.cookies.clearSession());
    c.header('cache-control', 'no-store');
    return c.redirect(`${login.cookies.basePath}${DEFAULT_NEXT}`, 303);
  });
  return app;
}
