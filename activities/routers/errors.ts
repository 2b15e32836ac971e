/**
 * The routers' errors. Like flagger's sentinel errors, tests check them by class; every message
 * names the object as `namespace/Kind/name`. `nonRetryable` tells the activity whether a retry can
 * help: wrong weights, a missing object or a misconfigured route never fix themselves, while a
 * conflict or a read-back that shows someone else's write may.
 */
import { KubeError } from '../kube/errors.js';

export {
  ConflictRetriesExhaustedError,
  KubeError,
  KubeRequestError,
  ObjectNotFoundError,
} from '../kube/errors.js';

/** Base class of the router-specific errors. */
export abstract class RouterError extends KubeError {}

/** Weights that are not integers 0–100 summing to 100. Raised before any API call. */
export class InvalidWeightsError extends RouterError {
  constructor(
    object: string,
    readonly problems: string[],
  ) {
    super(`invalid weights for ${object}: ${problems.join('; ')}`, {
      kind: 'invalid-input',
      nonRetryable: true,
      object,
    });
  }
}

/**
 * The object exists but does not have the shape the router's configuration describes (no such
 * route, no stable destination, cohorts the router cannot express, an object with our name that we
 * did not create). Non-retryable: a person must fix the configuration or the object.
 */
export class RouterConfigError extends RouterError {
  constructor(object: string, problem: string) {
    super(`${object}: ${problem}`, { kind: 'config', nonRetryable: true, object });
  }
}

/**
 * Reading the object back after a write did not show what was written (another writer changed it
 * right after us, or something rewrites it). Retryable: the next attempt writes again.
 */
export class RouteVerificationError extends RouterError {
  constructor(object: string, expected: string, found: string) {
    super(`${object} does not show what was written: expected ${expected}, read back ${found}`, {
      kind: 'verification',
      nonRetryable: false,
      object,
    });
  }
}

/** A router type this worker cannot build (e.g. "sandbox" without the sandbox's constructor). */
export class UnsupportedRouterError extends RouterError {
  constructor(type: string, detail: string) {
    super(`router type "${type}" is not available: ${detail}`, {
      kind: 'config',
      nonRetryable: true,
    });
  }
}
