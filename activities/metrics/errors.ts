/**
 * The failure policy of metrics providers: every error a provider throws is one of these, so the
 * caller knows whether trying again can help. "No data" is not an error: it is a series of null
 * buckets, see core/metrics/coverage.ts.
 *
 * - MetricsUnavailableError (retryable): the backend could not answer now — connection refused or
 *   reset, DNS failure, a timeout, HTTP 5xx or 429, Prometheus errorType timeout, canceled,
 *   internal or unavailable, a proxy's 5xx page.
 * - MetricsQueryError (not retryable): the backend answered that a query is wrong — errorType
 *   bad_data (HTTP 400, e.g. a PromQL parse error), execution (422), not_found, not_acceptable, a
 *   result of the wrong shape (several series, negative counts). Names the query and the arm.
 * - MetricsConfigError (not retryable): our side is set up wrong — credentials rejected (401/403),
 *   a secret's environment variable not set, an address that does not serve the Prometheus API.
 *
 * activities/errors.ts turns these into Temporal failures, non-retryable when `nonRetryable` is
 * true, like every EngineError (core/errors.ts).
 */
import { EngineError } from '../../core/errors.js';

/** Base of the provider errors. */
export abstract class MetricsError extends EngineError {}

/** The backend could not answer now; retrying later can help. */
export class MetricsUnavailableError extends MetricsError {
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, { kind: 'unavailable', nonRetryable: false, cause: options?.cause });
    this.status = options?.status;
  }
}

/** The backend rejected a query, or its answer cannot be used; the same query would fail again. */
export class MetricsQueryError extends MetricsError {
  /** Prometheus's errorType (e.g. "bad_data"), when it sent one. */
  readonly errorType: string | undefined;
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; errorType?: string; status?: number }) {
    super(message, { kind: 'invalid-input', nonRetryable: true, cause: options?.cause });
    this.errorType = options?.errorType;
    this.status = options?.status;
  }
}

/** Our configuration is wrong (credentials, environment, address); fix it before retrying. */
export class MetricsConfigError extends MetricsError {
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    const status = options?.status;
    super(message, {
      kind: status === 401 || status === 403 ? 'forbidden' : 'config',
      nonRetryable: true,
      cause: options?.cause,
    });
    this.status = status;
  }
}
