/**
 * Builds the API's OIDC side from the operator's `auth.oidc` config: the verifier of bearer JWTs
 * and, when `login` is configured, the dashboard's sign-in (its issuer, client, cookies and the
 * public origin that cookie-authenticated writes must come from). Secrets are read here at start,
 * so a missing one stops the API with a message naming the field; the client secret is read again
 * at each sign-in, so a rotated Secret needs no restart.
 */
import {
  defaultSecretReader,
  readSecret,
  type SecretReader,
  type SecretRef,
} from '../../activities/secrets.js';
import { durationMs } from '../../core/duration.js';
import type { LoginConfig, OidcConfig } from './config.js';
import type { TrustedIssuer } from './issuer.js';
import { CookieSealer, DashboardCookies } from './session.js';
import { JwtVerifier } from './verifier.js';
import type { IssuerOptions } from './issuer.js';

/** The dashboard's sign-in, resolved. */
export interface DashboardLogin {
  config: LoginConfig;
  issuer: TrustedIssuer;
  sealer: CookieSealer;
  cookies: DashboardCookies;
  /** Scheme, host and port of the API as the browser sees it (from `redirectUrl`). */
  publicOrigin: string;
  sessionTtlSeconds: number;
  /** The client secret now (undefined for a public client). */
  clientSecret(): string | undefined;
}

/** Everything OIDC the API's authentication needs. */
export interface OidcAuth {
  verifier: JwtVerifier;
  login?: DashboardLogin;
}

export interface OidcSetupOptions {
  io?: SecretReader;
  issuer?: IssuerOptions;
}

const FIELD = 'auth.oidc.login';

/** A sign-in secret now; a missing one is an Error naming its field, which stops the API's start. */
const secret = (ref: SecretRef, field: string, io: SecretReader = defaultSecretReader()): string =>
  readSecret(ref, field, io, (message, options) => new Error(message, options));

export function createOidcAuth(config: OidcConfig, options: OidcSetupOptions = {}): OidcAuth {
  const verifier = new JwtVerifier(config.issuers, options.issuer);
  const login = config.login;
  if (!login) return { verifier };
  const issuer = verifier.issuerNamed(login.issuer);
  if (!issuer) throw new Error(`${FIELD}.issuer names no issuer of auth.oidc.issuers`);
  let material: string | undefined;
  if (login.sessionKey) {
    material = secret(login.sessionKey, `${FIELD}.sessionKey`, options.io);
    if (material.length < 32)
      throw new Error(
        `${FIELD}.sessionKey must be at least 32 characters (e.g. openssl rand -base64 32)`,
      );
  }
  const readClientSecret = () =>
    login.clientSecret
      ? secret(login.clientSecret, `${FIELD}.clientSecret`, options.io)
      : undefined;
  readClientSecret(); // a missing secret stops the start, not the first sign-in
  return {
    verifier,
    login: {
      config: login,
      issuer,
      sealer: new CookieSealer(material),
      cookies: new DashboardCookies(login.redirectUrl),
      publicOrigin: new URL(login.redirectUrl).origin,
      sessionTtlSeconds: Math.round(durationMs(login.sessionTtl, `${FIELD}.sessionTtl`) / 1000),
      clientSecret: readClientSecret,
    },
  };
}
