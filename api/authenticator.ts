/**
 * The API's one answer to "who is calling": an `Authorization: Bearer` header is a static token
 * (api/auth.ts TokenStore, checked first, exactly as before) or else an OIDC JWT from a trusted
 * issuer (api/oidc/verifier.ts); without the header, the dashboard's session cookie. All three
 * become the same Caller, so requireRole and api/scopes.ts decide for every kind alike.
 *
 * A cookie is sent by the browser on its own, so a write (any method but GET, HEAD, OPTIONS)
 * authenticated by the cookie needs an `Origin` equal to the API's public origin (CSRF); bearer
 * tokens need none, a page on another site cannot set them.
 */
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Authenticator, Caller, TokenStore } from './auth.js';
import { callerFromClaims } from './oidc/claims.js';
import { TokenRejectedError } from './oidc/errors.js';
import type { DashboardLogin, OidcAuth } from './oidc/setup.js';
import { JWT_SHAPE_RE } from './oidc/verifier.js';
import { ProblemError } from './problems.js';

const BEARER_RE = /^Bearer[ ]+([^ ]+)[ ]*$/i;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class ApiAuthenticator implements Authenticator {
  constructor(
    private readonly tokens: TokenStore,
    private readonly oidc?: OidcAuth,
  ) {}

  /** Whether any OIDC issuer is configured (for /openapi.json and messages). */
  get acceptsJwts(): boolean {
    return this.oidc !== undefined;
  }

  async authenticate(c: Context): Promise<Caller | undefined> {
    const header = c.req.header('authorization');
    if (header !== undefined) return this.bearer(header);
    const login = this.oidc?.login;
    const sealed = login ? getCookie(c, login.cookies.sessionName) : undefined;
    if (login && sealed) return this.session(c, login, sealed);
    return undefined;
  }

  private async bearer(header: string): Promise<Caller> {
    const token = BEARER_RE.exec(header)?.[1];
    const caller = token ? this.tokens.authenticate(token) : undefined;
    if (caller) return caller;
    if (token && this.oidc && JWT_SHAPE_RE.test(token)) {
      const fromJwt = await this.oidc.verifier.authenticate(token);
      return { ...fromJwt, via: 'jwt' };
    }
    throw new TokenRejectedError('the bearer token is not valid');
  }

  private async session(c: Context, login: DashboardLogin, sealed: string): Promise<Caller> {
    const content = await login.sealer.open('session', sealed);
    const claims = content?.claims;
    if (content?.issuer !== login.issuer.name || !claims || typeof claims !== 'object')
      throw new ProblemError(
        401,
        'unauthorized',
        `the dashboard session has expired or is not valid; sign in again at ${login.cookies.basePath}/ui/auth/login`,
        {},
        { 'www-authenticate': 'Bearer realm="canary"', 'set-cookie': login.cookies.clearSession() },
      );
    if (!SAFE_METHODS.has(c.req.method) && c.req.header('origin') !== login.publicOrigin)
      throw new ProblemError(
        403,
        'forbidden',
        `a ${c.req.method} signed in by the dashboard's cookie must come from ${login.publicOrigin} (its Origin header); scripts and CI send a bearer token instead`,
        { rule: 'csrf-origin' },
      );
    const caller = callerFromClaims(claims as Record<string, unknown>, login.issuer.config);
    return { ...caller, via: 'session' };
  }
}
