/**
 * The pre-flight of a release, run by prepareRelease before anything changes: the worker's
 * namespace allow-list (CANARY_ALLOWED_NAMESPACES, defence in depth behind the API's token scopes),
 * then every provider's own checks (`preflight?()` of the router, the workloads and the metrics
 * provider: objects exist and opt in, versions, access, data), all collected and reported at once
 * as one non-retryable PreflightRejectedError (core/preflight.ts). docs/preflight.md lists them.
 */
import {
  namespaceProblem,
  PreflightRejectedError,
  problemOf,
  type PreflightProblem,
} from '../core/preflight.js';
import { durationMs } from '../core/duration.js';
import type { ReleaseSpec } from '../core/spec.js';
import type { MetricsProvider } from './metrics/types.js';
import type { TrafficRouter } from './routers/types.js';
import type { WorkloadManager } from './workloads/types.js';

/** How the pre-flight reaches the release's providers (built lazily: building one may fail too). */
export interface PreflightProviders {
  router(): TrafficRouter;
  workloads(): WorkloadManager;
  metrics(): MetricsProvider;
}

/**
 * Problems of one provider: those it reports, or the non-retryable error it throws (building it,
 * or checking) as one problem named `what`. Errors a retry may fix are rethrown.
 */
async function problemsOf(
  what: string,
  check: () => Promise<PreflightProblem[] | undefined>,
): Promise<PreflightProblem[]> {
  try {
    return (await check()) ?? [];
  } catch (error) {
    const problem = problemOf(error, what);
    if (!problem) throw error;
    return [problem];
  }
}

/**
 * Checks a release before its first change and throws PreflightRejectedError listing every
 * problem. A namespace off the allow-list is refused alone: nothing in it is looked at.
 */
export async function preflight(
  spec: ReleaseSpec,
  providers: PreflightProviders,
  allowedNamespaces?: readonly string[],
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const refused = namespaceProblem(spec.namespace, allowedNamespaces);
  if (refused) throw new PreflightRejectedError(spec.service, [refused]);
  const { namespace, service, stableVersion, canaryVersion, releaseId } = spec;
  const found = await Promise.all([
    problemsOf('workloads', async () => providers.workloads().preflight?.(spec)),
    problemsOf('router', async () => providers.router().preflight?.(spec)),
    problemsOf('metrics', async () =>
      providers
        .metrics()
        .preflight?.(
          { releaseId, namespace, service, stableVersion, canaryVersion },
          { ...options, bucketMs: durationMs(spec.analysis.bucket, 'analysis.bucket') },
        ),
    ),
  ]);
  // providers over one backend (the sandbox's router and workloads) may report it alike: once
  const problems = [...new Map(found.flat().map((p) => [`${p.object}\n${p.message}`, p])).values()];
  if (problems.length > 0) throw new PreflightRejectedError(service, problems);
}
