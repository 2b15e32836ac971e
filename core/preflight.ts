/**
 * The pre-flight's verdict: everything that stands in the way of a release, collected before its
 * first change and reported at once as one PreflightRejectedError. Pure and workflow-safe, because
 * the workflow tells a refusal apart from other failures (PREFLIGHT_REFUSALS): nothing was changed,
 * so there is nothing to roll back. activities/preflight.ts runs the checks; each provider reports
 * its own problems (`preflight?()` on TrafficRouter, WorkloadManager and MetricsProvider).
 */
import { EngineError } from './errors.js';
import { globMatches } from './globs.js';

/** One thing that stands in the way of a release. */
export interface PreflightProblem {
  /** What it concerns: "namespace/Kind/name" for a Kubernetes object, a provider's name otherwise. */
  object: string;
  /** What is wrong, in words a person can act on ("does not exist", "may not be updated by …"). */
  message: string;
}

/** The release was refused before any change; `problems` lists every reason, in check order. */
export class PreflightRejectedError extends EngineError {
  constructor(
    readonly service: string,
    readonly problems: readonly PreflightProblem[],
  ) {
    super(
      `the pre-flight of ${service} found ${problems.length === 1 ? '1 problem' : `${problems.length} problems`}, so the release changes nothing: ${describeProblems(problems)}`,
      {
        kind: 'config',
        nonRetryable: true,
        ...(problems[0] ? { object: problems[0].object } : {}),
      },
    );
  }
}

/** "a/Kind/x: does not exist; b/Kind/y: …", the problems as one line. */
export function describeProblems(problems: readonly PreflightProblem[]): string {
  return problems.map((p) => `${p.object}: ${p.message}`).join('; ');
}

/**
 * Failure types (EngineError names) of the pre-flight's refusals: raised before any change.
 * NamespaceNotAllowedError and ObjectsNotOptedInError were its two refusals before every problem
 * became part of one PreflightRejectedError; their names stay so recorded histories replay.
 */
export const PREFLIGHT_REFUSALS: readonly string[] = [
  'PreflightRejectedError',
  'NamespaceNotAllowedError',
  'ObjectsNotOptedInError',
];

/**
 * The problems a PreflightRejectedError's failure carries (activities/errors.ts puts them in its
 * second detail), for the workflow; undefined when the details hold none (another failure, or a
 * refusal recorded before problems were carried).
 */
export function preflightProblems(
  details: readonly unknown[] | undefined | null,
): PreflightProblem[] | undefined {
  const problems = (details?.[1] as { problems?: unknown } | undefined)?.problems;
  if (!Array.isArray(problems)) return undefined;
  return problems.filter(
    (p): p is PreflightProblem =>
      typeof p === 'object' &&
      p !== null &&
      typeof (p as PreflightProblem).object === 'string' &&
      typeof (p as PreflightProblem).message === 'string',
  );
}

/**
 * A non-retryable engine error as a problem, named by its object (else `object`), without the
 * object's name repeated at the start of the message; undefined for an error that a retry may fix
 * (a backend that did not answer), which the caller rethrows so the activity is retried.
 */
export function problemOf(error: unknown, object: string): PreflightProblem | undefined {
  if (!(error instanceof EngineError) || !error.nonRetryable) return undefined;
  const named = error.object ?? object;
  const message = error.message.startsWith(`${named}: `)
    ? error.message.slice(named.length + 2)
    : error.message.startsWith(`${named} `)
      ? error.message.slice(named.length + 1)
      : error.message;
  return { object: named, message };
}

/**
 * The problem with a namespace that `allowed` (CANARY_ALLOWED_NAMESPACES; undefined: every
 * namespace) does not admit; undefined when it does.
 */
export function namespaceProblem(
  namespace: string,
  allowed?: readonly string[],
): PreflightProblem | undefined {
  if (allowed === undefined || allowed.some((pattern) => globMatches(pattern, namespace)))
    return undefined;
  return {
    object: `namespace/${namespace}`,
    message: `is not on this worker's allow-list (CANARY_ALLOWED_NAMESPACES: ${allowed.join(', ')})`,
  };
}
