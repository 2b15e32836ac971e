/**
 * Why a JWT, a session or a sign-in was refused. api/problems.ts maps each to one status: a
 * rejected token or session is a 401 with `WWW-Authenticate: Bearer error="invalid_token"`, an
 * identity provider the API cannot reach a 503 (never a 500), a sign-in that cannot complete a
 * 400. Messages are short reasons written here: they never quote the token or what a foreign
 * server answered.
 */
import { EngineError } from '../../core/errors.js';

/** A bearer JWT or a session cookie that does not authenticate anyone (expired, foreign, forged). */
export class TokenRejectedError extends EngineError {
  constructor(reason: string, issuer?: string, options: { cause?: unknown } = {}) {
    super(reason, {
      kind: 'forbidden',
      nonRetryable: true,
      ...(issuer !== undefined ? { object: `issuer ${issuer}` } : {}),
      cause: options.cause,
    });
  }
}

/** The issuer's discovery document, keys or token endpoint cannot be reached or read now. */
export class IdentityProviderUnavailableError extends EngineError {
  constructor(reason: string, issuer: string, options: { cause?: unknown } = {}) {
    super(reason, {
      kind: 'unavailable',
      nonRetryable: false,
      object: `issuer ${issuer}`,
      cause: options.cause,
    });
  }
}

/** A dashboard sign-in that cannot complete: state missing or forged, the provider said no. */
export class LoginRefusedError extends EngineError {
  constructor(reason: string, options: { cause?: unknown } = {}) {
    super(reason, {
      kind: 'invalid-input',
      nonRetryable: true,
      object: 'sign-in',
      cause: options.cause,
    });
  }
}
