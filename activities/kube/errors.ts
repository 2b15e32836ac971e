/**
 * Errors from talking to the Kubernetes API. Every error names the object it concerns as
 * `namespace/Kind/name` and says whether retrying can help (`nonRetryable`, see core/errors.ts):
 * activities turn non-retryable errors into non-retryable Temporal failures, so a missing object
 * fails a release step at once instead of being retried for minutes.
 */
import { EngineError, type EngineErrorOptions, type ErrorKind } from '../../core/errors.js';

/** Base class: a Kubernetes operation failed. `object` is "namespace/Kind/name" when known. */
export abstract class KubeError extends EngineError {}

/** The object does not exist (HTTP 404). Non-retryable: the release's configuration names something absent. */
export class ObjectNotFoundError extends KubeError {
  constructor(object: string, detail?: string) {
    super(`${object} not found${detail ? `: ${detail}` : ''}`, {
      kind: 'not-found',
      nonRetryable: true,
      object,
    });
  }
}

/**
 * Optimistic writes kept losing to other writers (HTTP 409 on every attempt). Retryable: the
 * activity's next attempt reads the object afresh.
 */
export class ConflictRetriesExhaustedError extends KubeError {
  constructor(object: string, attempts: number) {
    super(
      `${object} was changed by another writer during each of ${attempts} attempts to update it`,
      { kind: 'conflict', nonRetryable: false, object },
    );
  }
}

/**
 * Any other failed API call. 400/401/403/405/415/422 are non-retryable (the request itself is
 * wrong or not allowed: fix RBAC or the object); 429, 5xx and network errors are retryable.
 */
export class KubeRequestError extends KubeError {
  constructor(
    object: string,
    verb: string,
    /** HTTP status, or undefined when no response arrived. */
    readonly status: number | undefined,
    detail: string,
    options?: Pick<EngineErrorOptions, 'cause'>,
  ) {
    super(
      `${verb} ${object} failed${status === undefined ? '' : ` with HTTP ${status}`}: ${detail}`,
      {
        kind: kindOfStatus(status),
        nonRetryable: status !== undefined && NON_RETRYABLE_STATUSES.has(status),
        object,
        cause: options?.cause,
      },
    );
  }
}

const NON_RETRYABLE_STATUSES = new Set([400, 401, 403, 405, 406, 410, 413, 415, 422]);

/** What an API server's answer means for a person; no answer or any other status is "unavailable". */
function kindOfStatus(status: number | undefined): ErrorKind {
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status !== undefined && NON_RETRYABLE_STATUSES.has(status)) return 'invalid-input';
  return 'unavailable';
}

/** No usable configuration was found, or a named context does not exist (see client.ts). */
export class KubeConfigError extends KubeError {
  constructor(message: string) {
    // Retryable as before: it is the worker's setup, which can be fixed while the activity retries.
    super(message, { kind: 'config', nonRetryable: false });
  }
}
