/**
 * One trusted issuer's endpoints and keys: its discovery document
 * (`<issuer>/.well-known/openid-configuration`, checked to name the same issuer) and its JWKS
 * through jose's createRemoteJWKSet, which caches the keys and refetches at most once per cooldown
 * when a token names an unknown key. When the JWKS cannot be fetched the keys fetched last keep
 * verifying (for `retryAfterMs` no new fetch is tried); with none fetched yet, verification fails
 * with IdentityProviderUnavailableError (a 503), never a 500. A foreign server's answers are
 * never quoted in a message.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JWTVerifyGetKey,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
} from 'jose';
import type { IssuerConfig } from './config.js';
import { IdentityProviderUnavailableError } from './errors.js';

/** What the API reads from a discovery document. */
export interface IssuerMetadata {
  issuer: string;
  jwksUri: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
}

export interface IssuerOptions {
  /** Time limit of one discovery or JWKS request (default 5 s). */
  timeoutMs?: number;
  /** After a failed fetch, how long to answer from the last keys before trying again (default 30 s). */
  retryAfterMs?: number;
  /** Minimum time between JWKS refetches for an unknown key id (jose's cooldown; default 30 s). */
  cooldownMs?: number;
  /** How long fetched keys are used before they are refreshed (jose's cacheMaxAge; default 10 min). */
  cacheMaxAgeMs?: number;
  now?: () => number;
}

const LOOPBACK_RE = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/i;
const isEndpoint = (value: unknown): value is string =>
  typeof value === 'string' && (/^https:\/\/[^\s]+$/i.test(value) || LOOPBACK_RE.test(value));

/** A failure to fetch or read the key set, as opposed to a key set that has no key for the token. */
function isFetchFailure(error: unknown): boolean {
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return false;
  return (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError) ||
    error.code === 'ERR_JOSE_GENERIC'
  );
}

export class TrustedIssuer {
  private discovered?: IssuerMetadata;
  private discoveryFailedAt?: number;
  private remote?: ReturnType<typeof createRemoteJWKSet>;
  private keysFailedAt?: number;
  private readonly timeoutMs: number;
  private readonly retryAfterMs: number;
  private readonly now: () => number;

  constructor(
    readonly config: IssuerConfig,
    private readonly options: IssuerOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retryAfterMs = options.retryAfterMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  get name(): string {
    return this.config.name;
  }

  private unavailable(what: string, cause?: unknown): IdentityProviderUnavailableError {
    return new IdentityProviderUnavailableError(
      `the ${what} of identity provider ${this.name} cannot be read now; try again shortly`,
      this.name,
      { cause },
    );
  }

  /** The discovery document, fetched once; a failure is remembered for `retryAfterMs`. */
  async metadata(): Promise<IssuerMetadata> {
    if (this.discovered) return this.discovered;
    const failedAt = this.discoveryFailedAt;
    if (failedAt !== undefined && this.now() - failedAt < this.retryAfterMs)
      throw this.unavailable('discovery document');
    try {
      this.discovered = await this.discover();
      return this.discovered;
    } catch (error) {
      this.discoveryFailedAt = this.now();
      throw this.unavailable('discovery document', error);
    }
  }

  private async discover(): Promise<IssuerMetadata> {
    const url = `${this.config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (response.status !== 200) throw new Error(`discovery answered HTTP ${response.status}`);
    const doc = (await response.json()) as Record<string, unknown>;
    // OpenID Connect Discovery 1.0 §4.3: the document must name exactly the issuer it was fetched for
    if (doc.issuer !== this.config.issuer) throw new Error('discovery names another issuer');
    const jwksUri = this.config.jwksUri ?? doc.jwks_uri;
    if (!isEndpoint(jwksUri)) throw new Error('discovery has no usable jwks_uri');
    return {
      issuer: this.config.issuer,
      jwksUri,
      ...(isEndpoint(doc.authorization_endpoint)
        ? { authorizationEndpoint: doc.authorization_endpoint }
        : {}),
      ...(isEndpoint(doc.token_endpoint) ? { tokenEndpoint: doc.token_endpoint } : {}),
    };
  }

  private async remoteKeys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.remote) return this.remote;
    // a configured jwksUri needs no discovery (GitHub's and most IdPs' discovery would agree)
    const jwksUri = this.config.jwksUri ?? (await this.metadata()).jwksUri;
    this.remote ??= createRemoteJWKSet(new URL(jwksUri), {
      timeoutDuration: this.timeoutMs,
      cooldownDuration: this.options.cooldownMs ?? 30_000,
      cacheMaxAge: this.options.cacheMaxAgeMs ?? 600_000,
    });
    return this.remote;
  }

  /** The key for a token's header, for jose's jwtVerify. */
  readonly getKey: JWTVerifyGetKey = async (
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ) => {
    const remote = await this.remoteKeys();
    const last = remote.jwks();
    const failedAt = this.keysFailedAt;
    // during a JWKS outage answer from the last keys without waiting for another failed fetch
    if (
      last &&
      !remote.fresh &&
      failedAt !== undefined &&
      this.now() - failedAt < this.retryAfterMs
    )
      return createLocalJWKSet(last)(header, token);
    try {
      const key = await remote(header, token);
      this.keysFailedAt = undefined;
      return key;
    } catch (error) {
      if (!isFetchFailure(error)) throw error;
      this.keysFailedAt = this.now();
      if (!last) throw this.unavailable('keys (JWKS)', error);
      try {
        return await createLocalJWKSet(last)(header, token);
      } catch (stale) {
        // a key id the last keys lack may be a rotation the failed fetch would have brought
        if (stale instanceof errors.JWKSNoMatchingKey) throw this.unavailable('keys (JWKS)', error);
        throw stale;
      }
    }
  };
}
