/**
 * The pre-flight's refusals: a release outside the worker's namespace allow-list, or one that would
 * change Kubernetes objects that do not opt in to its service. Pure and workflow-safe, because the
 * workflow tells these refusals apart from other failures: nothing was changed, so there is nothing
 * to roll back (activities/preflight.ts runs the checks).
 */
import { EngineError } from './errors.js';
import { globMatches } from './globs.js';

/** An object that does not opt in, and why ("has no ... label or annotation"). */
export interface OptInProblem {
  /** "namespace/Kind/name" */
  object: string;
  reason: string;
}

/** The release's namespace is not on the worker's allow-list. */
export class NamespaceNotAllowedError extends EngineError {
  constructor(
    readonly namespace: string,
    readonly allowed: readonly string[],
  ) {
    super(
      `namespace ${namespace} is not on this worker's allow-list (CANARY_ALLOWED_NAMESPACES: ${allowed.join(', ')}); the release changes nothing`,
      { kind: 'forbidden', nonRetryable: true, object: `namespace/${namespace}` },
    );
  }
}

/** Objects the release would change do not opt in to its service. */
export class ObjectsNotOptedInError extends EngineError {
  constructor(
    readonly service: string,
    readonly problems: readonly OptInProblem[],
  ) {
    super(
      `the release of ${service} may change only objects that opt in (label or annotation canary-engine.io/service: ${service}) or that canary-engine created: ${problems.map((p) => `${p.object} ${p.reason}`).join('; ')}`,
      {
        kind: 'forbidden',
        nonRetryable: true,
        ...(problems[0] ? { object: problems[0].object } : {}),
      },
    );
  }
}

/** Failure types (EngineError names) of the pre-flight's refusals: raised before any change. */
export const PREFLIGHT_REFUSALS: readonly string[] = [
  'NamespaceNotAllowedError',
  'ObjectsNotOptedInError',
  // activities/workloads/errors.ts: a spec without stableVersion whose stable Deployment has no
  // `version` label (read first, before any change)
  'StableVersionUnknownError',
];

/** Throws NamespaceNotAllowedError unless `allowed` (undefined: every namespace) admits it. */
export function assertNamespaceAllowed(namespace: string, allowed?: readonly string[]): void {
  if (allowed === undefined) return;
  if (!allowed.some((pattern) => globMatches(pattern, namespace)))
    throw new NamespaceNotAllowedError(namespace, allowed);
}
