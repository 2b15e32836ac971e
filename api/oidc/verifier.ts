/**
 * Verifies bearer JWTs from the operator's trusted issuers with jose: the issuer is picked by the
 * token's `iss` among the configured ones (a foreign issuer is refused before any key is fetched),
 * then signature (the issuer's JWKS, only its allowed asymmetric algorithms), `iss`, `aud`, `exp`
 * (required), `nbf` and `iat` with the issuer's clock skew. Each refusal is a TokenRejectedError
 * with a short reason that never quotes the token.
 */
import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { durationMs } from '../../core/duration.js';
import type { Caller } from '../auth.js';
import { callerFromClaims } from './claims.js';
import type { IssuerConfig } from './config.js';
import { IdentityProviderUnavailableError, TokenRejectedError } from './errors.js';
import { TrustedIssuer, type IssuerOptions } from './issuer.js';

/** A token whose signature and claims were checked, and the issuer that vouches for it. */
export interface VerifiedToken {
  issuer: TrustedIssuer;
  claims: JWTPayload;
}

/** Three base64url segments: what a compact JWS looks like (static tokens are checked first). */
export const JWT_SHAPE_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export class JwtVerifier {
  private readonly issuers: TrustedIssuer[];

  constructor(configs: readonly IssuerConfig[], options: IssuerOptions = {}) {
    this.issuers = configs.map((config) => new TrustedIssuer(config, options));
  }

  /** The configuration of every trusted issuer, in the operator's order. */
  get issuerConfigs(): readonly IssuerConfig[] {
    return this.issuers.map((i) => i.config);
  }

  /** The trusted issuer of this name (the dashboard's sign-in names one). */
  issuerNamed(name: string): TrustedIssuer | undefined {
    return this.issuers.find((i) => i.name === name);
  }

  /**
   * Verifies a compact JWT. `audience` replaces the issuer's audiences (an ID token's audience is
   * the dashboard's client id); `only` restricts the issuer to one by name.
   */
  async verify(
    token: string,
    options: { audience?: string; only?: string } = {},
  ): Promise<VerifiedToken> {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw new TokenRejectedError(
        'the bearer token is neither an API token nor a well-formed JWT',
      );
    }
    const issuer = this.issuers.find((i) => i.config.issuer === iss);
    if (!issuer || (options.only !== undefined && issuer.name !== options.only))
      throw new TokenRejectedError(
        `the token's issuer is not one this API trusts (it trusts ${this.issuers.map((i) => i.name).join(', ')})`,
      );
    const config = issuer.config;
    const audiences = options.audience !== undefined ? [options.audience] : config.audiences;
    try {
      const { payload } = await jwtVerify(token, issuer.getKey, {
        issuer: config.issuer,
        audience: audiences,
        algorithms: config.algorithms,
        clockTolerance: Math.round(durationMs(config.clockSkew, 'clockSkew') / 1000),
        requiredClaims: ['exp'],
      });
      return { issuer, claims: payload };
    } catch (error) {
      throw rejection(error, config, audiences);
    }
  }

  /** The Caller a bearer JWT stands for (roles may be empty: requireRole then answers 403). */
  async authenticate(token: string): Promise<Caller> {
    const { issuer, claims } = await this.verify(token);
    return callerFromClaims(claims, issuer.config);
  }
}

/** The short reason for a failed verification; errors that are not the token's pass through. */
function rejection(error: unknown, config: IssuerConfig, audiences: string[]): Error {
  if (error instanceof IdentityProviderUnavailableError) return error;
  if (!(error instanceof errors.JOSEError)) return error as Error;
  const reject = (reason: string) => new TokenRejectedError(reason, config.name, { cause: error });
  if (error instanceof errors.JWTExpired) return reject('the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
        return reject('the token is not valid yet (nbf)');
      case 'iat':
        return reject('the token was issued in the future (iat)');
      case 'aud':
        return reject(
          `the token's audience is not one this API accepts from ${config.name} (${audiences.join(', ')})`,
        );
      case 'exp':
        return reject('the token has no expiry (exp)');
      default:
        return reject(`the token's "${error.claim}" claim is not valid`);
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return reject(
      `the token's algorithm is not allowed for ${config.name} (allowed: ${config.algorithms.join(', ')})`,
    );
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return reject(`the token's signature does not verify with the keys of ${config.name}`);
  if (error instanceof errors.JWKSNoMatchingKey)
    return reject(`no key of ${config.name} matches the token's key id`);
  return reject('the token is not a valid JWT');
}
