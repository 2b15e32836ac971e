/**
 * The sandbox's errors: its control API's refusals (ControlError, on the router's side) and the
 * failures its providers meet when they call that API. They extend the engine's one base class
 * (core/errors.ts) directly, not the Kubernetes or router errors, since no Kubernetes API is
 * involved; activities treat them like any provider's: `nonRetryable` errors fail a release step
 * at once (a request the sandbox refuses will be refused again), the others are retried (the
 * sandbox may still be starting, or another writer got in between).
 */
import { EngineError, type EngineErrorOptions, type ErrorKind } from '../core/errors.js';

/** Error codes of the control API, one per reason a request is refused. */
export type ControlErrorCode =
  | 'invalid-request'
  | 'invalid-weights'
  | 'invalid-cohort'
  | 'unknown-version'
  | 'generation-conflict'
  | 'no-canary'
  | 'canary-in-use'
  | 'not-found';

/** What each refusal means, the same on the router's side and on its clients'. */
const CONTROL_ERROR_KINDS: Record<ControlErrorCode, ErrorKind> = {
  'invalid-request': 'invalid-input',
  'invalid-weights': 'invalid-input',
  'invalid-cohort': 'invalid-input',
  'unknown-version': 'invalid-input',
  'generation-conflict': 'conflict',
  'no-canary': 'conflict',
  'canary-in-use': 'conflict',
  'not-found': 'not-found',
};

/** A refused control request: HTTP status, a machine-readable code and a sentence for people. */
export class ControlError extends EngineError {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly code: ControlErrorCode,
    message: string,
  ) {
    super(message, { kind: CONTROL_ERROR_KINDS[code], nonRetryable: true });
  }
}

/** The control API did not answer (not running, wrong port, time limit). Retryable. */
export class SandboxUnreachableError extends EngineError {
  constructor(object: string, detail: string, options?: { cause?: unknown }) {
    super(`${object} is unreachable: ${detail} (is the sandbox running? see docs/sandbox.md)`, {
      kind: 'unavailable',
      nonRetryable: false,
      object,
      cause: options?.cause,
    });
  }
}

/**
 * The control API refused a request, or answered with something that is not the sandbox's state.
 * 4xx answers are non-retryable (invalid weights, an unknown version, no canary set); 5xx and 429
 * are retryable. An answer that is not the control API's ("unexpected-response") means the
 * address is wrong: a configuration problem.
 */
export class SandboxRequestError extends EngineError {
  constructor(
    object: string,
    verb: string,
    /** HTTP status of the answer. */
    readonly status: number,
    /** The control API's error code (e.g. "no-canary"), or "unexpected-response". */
    readonly code: string,
    detail: string,
  ) {
    const unavailable = status >= 500 || status === 429;
    super(`${verb} ${object} failed with HTTP ${status} (${code}): ${detail}`, {
      kind: unavailable
        ? 'unavailable'
        : Object.hasOwn(CONTROL_ERROR_KINDS, code)
          ? CONTROL_ERROR_KINDS[code as ControlErrorCode]
          : 'config',
      nonRetryable: status >= 400 && status < 500 && status !== 429,
      object,
    });
  }
}

/**
 * A sandbox workload operation cannot proceed as asked (another release's canary is in place, a
 * canary still receives traffic, a snapshot is malformed) or did not show its effect when read
 * back. `kind` and `nonRetryable` say which.
 */
export class SandboxWorkloadError extends EngineError {
  constructor(message: string, options: EngineErrorOptions & { object: string }) {
    super(message, options);
  }
}
