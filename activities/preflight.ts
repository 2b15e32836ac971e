/**
 * The pre-flight of a release, run by prepareRelease before anything in the cluster changes: the
 * worker's namespace allow-list (CANARY_ALLOWED_NAMESPACES, defence in depth behind the API's token
 * scopes) and the opt-in of every object the release would change (activities/kube/opt-in.ts).
 * Both refusals are non-retryable 'forbidden' engine errors that name what was refused.
 */
import { EngineError } from '../core/errors.js';
import type { OptInProblem } from './kube/opt-in.js';
import { globMatches } from '../core/globs.js';
import type { ReleaseSpec } from '../core/spec.js';
import type { TrafficRouter } from './routers/types.js';
import type { WorkloadManager } from './workloads/types.js';

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

/** Throws NamespaceNotAllowedError unless `allowed` (undefined: every namespace) admits it. */
export function assertNamespaceAllowed(namespace: string, allowed?: readonly string[]): void {
  if (allowed === undefined) return;
  if (!allowed.some((pattern) => globMatches(pattern, namespace)))
    throw new NamespaceNotAllowedError(namespace, allowed);
}

/**
 * Checks a release before its first change: the namespace, then every object of the router and the
 * workloads at once (all refusals in one message). Providers outside Kubernetes (the sandbox)
 * have no objects to check.
 */
export async function preflight(
  spec: ReleaseSpec,
  router: TrafficRouter,
  workloads: WorkloadManager,
  allowedNamespaces?: readonly string[],
): Promise<void> {
  assertNamespaceAllowed(spec.namespace, allowedNamespaces);
  const problems = [
    ...((await workloads.objectsNotOptedIn?.(spec.service)) ?? []),
    ...((await router.objectsNotOptedIn?.(spec.service)) ?? []),
  ];
  if (problems.length > 0) throw new ObjectsNotOptedInError(spec.service, problems);
}
