/**
 * The pre-flight of a release, run by prepareRelease before anything in the cluster changes: the
 * worker's namespace allow-list (CANARY_ALLOWED_NAMESPACES, defence in depth behind the API's token
 * scopes) and the opt-in of every object the release would change (activities/kube/opt-in.ts).
 * Both refusals (core/preflight.ts) are non-retryable 'forbidden' engine errors naming what was
 * refused.
 */
import { assertNamespaceAllowed, ObjectsNotOptedInError } from '../core/preflight.js';
import type { ReleaseSpec } from '../core/spec.js';
import type { TrafficRouter } from './routers/types.js';
import type { WorkloadManager } from './workloads/types.js';

/**
 * Checks a release before its first change: the namespace, then every object of the workloads and
 * the router at once (all refusals in one message). Providers outside Kubernetes (the sandbox)
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
