/**
 * The one error base class of the engine. Every error a provider, the judge or the sandbox throws
 * extends EngineError, so there is one way to name an error (the class's own name, set here), one
 * meaning of `nonRetryable` and one small vocabulary (`kind`) the workflow can use to explain a
 * failure. activities/errors.ts turns an EngineError into a Temporal failure carrying the kind and
 * the object in its details; `failureDetails` reads them back on the workflow side. Pure and
 * workflow-safe, like the rest of core/.
 */

/**
 * Why an operation failed, in words a person can act on. Closed on purpose: the workflow switches
 * over it, so a new kind is a decision, not a new string at a throw site.
 */
export const ERROR_KINDS = [
  /** The release's or the worker's configuration names or expects something that is not so. */
  'config',
  /** The object named does not exist. */
  'not-found',
  /** A request we built was refused as malformed (weights, a query, judge input, a snapshot). */
  'invalid-input',
  /** Credentials were rejected or permissions do not allow the call. */
  'forbidden',
  /** The object's current state does not allow the change (other writers, another release's canary). */
  'conflict',
  /** The backend could not answer now (no connection, a time limit, HTTP 5xx or 429). */
  'unavailable',
  /** Reading an object back after a write did not show what was written. */
  'verification',
  /** A change was accepted but did not take effect before its deadline (a rollout that stalled). */
  'timeout',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface EngineErrorOptions {
  kind: ErrorKind;
  /** True when retrying the same call cannot succeed; see EngineError.nonRetryable. */
  nonRetryable: boolean;
  /** The object concerned, e.g. "namespace/Kind/name", when known. */
  object?: string;
  cause?: unknown;
}

/** Base of every engine error; subclasses choose `kind` and `nonRetryable`, never `name`. */
export abstract class EngineError extends Error {
  /** The concrete class's name ("ObjectNotFoundError"), used as the Temporal failure type. */
  override readonly name: string;
  readonly kind: ErrorKind;
  /**
   * True when retrying the same call cannot succeed (a missing object, a refused request, a wrong
   * configuration): the activity fails at once. False when a later attempt may (a backend that is
   * down, another writer that got in between): Temporal retries it.
   */
  readonly nonRetryable: boolean;
  /** The object concerned, when known. */
  readonly object: string | undefined;

  constructor(message: string, options: EngineErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = options.kind;
    this.nonRetryable = options.nonRetryable;
    this.object = options.object;
  }
}

/** What an engine error's Temporal failure carries as its first detail. */
export interface FailureDetails {
  kind: ErrorKind;
  object?: string;
}

/** The details an EngineError's failure carries (activities/errors.ts puts them there). */
export function detailsOf(error: EngineError): FailureDetails {
  return error.object === undefined
    ? { kind: error.kind }
    : { kind: error.kind, object: error.object };
}

/**
 * Reads the kind and object back from a failure's details (ApplicationFailure.details), for the
 * workflow. Undefined when the failure did not come from an EngineError (an older worker, a plain
 * Error, a cancellation), so callers keep a fallback explanation.
 */
export function failureDetails(
  details: readonly unknown[] | undefined | null,
): FailureDetails | undefined {
  const first = details?.[0] as { kind?: unknown; object?: unknown } | undefined;
  if (typeof first !== 'object' || first === null) return undefined;
  if (!(ERROR_KINDS as readonly unknown[]).includes(first.kind)) return undefined;
  const kind = first.kind as ErrorKind;
  return typeof first.object === 'string' ? { kind, object: first.object } : { kind };
}

/** What each kind means for the person reading a failed release's outcome: what to look at. */
const KIND_ADVICE: Record<ErrorKind, string> = {
  config: 'a configuration problem: fix the release spec or the worker settings',
  'not-found': 'an object named by the release does not exist',
  'invalid-input': 'a request was refused as malformed',
  forbidden: "not allowed: check the worker's credentials and RBAC",
  conflict: 'another writer or release holds the object',
  unavailable: 'the backend did not answer, even after retries',
  verification: 'the object did not read back as written (another writer?)',
  timeout: 'the change did not take effect before its deadline',
};

/**
 * A failure's message as the workflow puts it in an outcome: the error's own words, then what its
 * kind means (and the object, when the message does not already name it). Without details (an
 * older worker, a plain Error) the message stands alone.
 */
export function explainFailure(message: string, details: FailureDetails | undefined): string {
  if (!details) return message;
  const object = details.object && !message.includes(details.object) ? ` (${details.object})` : '';
  return `${message}${object} [${details.kind}: ${KIND_ADVICE[details.kind]}]`;
}
