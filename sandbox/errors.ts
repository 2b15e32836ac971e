/**
 * Errors of the sandbox's providers. They extend the product's router and Kubernetes error
 * classes, so activities treat them like any provider's: `nonRetryable` errors fail a release step
 * at once (a request the sandbox refuses will be refused again), the others are retried (the
 * sandbox may still be starting, or another writer got in between).
 */
import { KubeError } from '../activities/kube/errors.js';
import { RouterError } from '../activities/routers/errors.js';

/** The control API did not answer (not running, wrong port, time limit). Retryable. */
export class SandboxUnreachableError extends RouterError {
  override readonly name = 'SandboxUnreachableError';
  constructor(object: string, detail: string, options?: { cause?: unknown }) {
    super(`${object} is unreachable: ${detail} (is the sandbox running? see docs/sandbox.md)`, false, object, options);
  }
}

/**
 * The control API refused a request, or answered with something that is not the sandbox's state.
 * 4xx answers are non-retryable (invalid weights, an unknown version, no canary set); 5xx and 429
 * are retryable.
 */
export class SandboxRequestError extends RouterError {
  override readonly name = 'SandboxRequestError';
  constructor(
    object: string,
    verb: string,
    /** HTTP status of the answer. */
    readonly status: number,
    /** The control API's error code (e.g. "no-canary"), or "unexpected-response". */
    readonly code: string,
    detail: string,
  ) {
    super(`${verb} ${object} failed with HTTP ${status} (${code}): ${detail}`, status >= 400 && status < 500 && status !== 429, object);
  }
}

/**
 * A sandbox workload operation cannot proceed as asked (another release's canary is in place, a
 * canary still receives traffic, a snapshot is malformed) or did not show its effect when read
 * back. `nonRetryable` says which.
 */
export class SandboxWorkloadError extends KubeError {
  override readonly name = 'SandboxWorkloadError';
}
