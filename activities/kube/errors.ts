/**
 * Errors from talking to the Kubernetes API. Every error names the object it concerns as
 * `namespace/Kind/name` and says whether retrying can help (`nonRetryable`): activities turn
 * non-retryable errors into non-retryable Temporal failures, so a missing object fails a release
 * step at once instead of being retried for minutes.
 */

/** Base class: a Kubernetes operation failed. `object` is "namespace/Kind/name" when known. */
export class KubeError extends Error {
  override readonly name: string = 'KubeError';
  constructor(
    message: string,
    /** True when retrying the same call cannot succeed (missing object, invalid request, forbidden). */
    readonly nonRetryable: boolean,
    /** The object concerned, "namespace/Kind/name". */
    readonly object?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The object does not exist (HTTP 404). Non-retryable: the release's configuration names something absent. */
export class ObjectNotFoundError extends KubeError {
  override readonly name = 'ObjectNotFoundError';
  constructor(object: string, detail?: string) {
    super(`${object} not found${detail ? `: ${detail}` : ''}`, true, object);
  }
}

/**
 * Optimistic writes kept losing to other writers (HTTP 409 on every attempt). Retryable: the
 * activity's next attempt reads the object afresh.
 */
export class ConflictRetriesExhaustedError extends KubeError {
  override readonly name = 'ConflictRetriesExhaustedError';
  constructor(object: string, attempts: number) {
    super(`${object} was changed by another writer during each of ${attempts} attempts to update it`, false, object);
  }
}

/**
 * Any other failed API call. 400/401/403/405/415/422 are non-retryable (the request itself is
 * wrong or not allowed: fix RBAC or the object); 429, 5xx and network errors are retryable.
 */
export class KubeRequestError extends KubeError {
  override readonly name = 'KubeRequestError';
  constructor(
    object: string,
    verb: string,
    /** HTTP status, or undefined when no response arrived. */
    readonly status: number | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${verb} ${object} failed${status === undefined ? '' : ` with HTTP ${status}`}: ${detail}`,
      status !== undefined && NON_RETRYABLE_STATUSES.has(status),
      object,
      options,
    );
  }
}

const NON_RETRYABLE_STATUSES = new Set([400, 401, 403, 405, 406, 410, 413, 415, 422]);

