/**
 * The sandbox's providers for the worker, through the engine's one seam for them
 * (activities/providers.ts SandboxProviders): the router and the workload manager of a release
 * whose router is `{ type: 'sandbox' }`. Both talk to the control API at the local stack's own
 * address (CANARY_SANDBOX_URL): a spec cannot name one. A worker gets these only in sandbox mode
 * (worker/providers.ts).
 */
import type { SandboxProviders } from '../activities/providers.js';
import { RouterConfigError } from '../activities/routers/errors.js';
import { FALLBACK_SANDBOX_URL } from '../worker/config.js';
import type { ControlClientOptions } from './control-client.js';
import { SandboxRouter } from './sandbox-router.js';
import { SandboxWorkloads } from './sandbox-workloads.js';

export type SandboxProviderOptions = ControlClientOptions & {
  /** The local stack's control API (CANARY_SANDBOX_URL). */
  defaultUrl?: string;
};

/**
 * The sandbox's router and workloads, to pass once to createProviders. Cheap: nothing is contacted
 * until a provider's method is called. The workloads refuse (non-retryably) a release whose router
 * is not the sandbox's, since its versions are switched through that router.
 */
export function sandboxProviders(options: SandboxProviderOptions = {}): SandboxProviders {
  const url = options.defaultUrl ?? FALLBACK_SANDBOX_URL;
  return {
    router: () => new SandboxRouter(url, options),
    workloads: (_workloads, release) => {
      if (release.router.type !== 'sandbox') {
        throw new RouterConfigError(
          `${release.namespace}/${release.service}`,
          `the sandbox workloads need router type "sandbox", not "${release.router.type}"`,
        );
      }
      if (release.stableVersion === undefined) {
        // validation refuses this (core/providers.ts): the sandbox has no Deployment to read it from
        throw new RouterConfigError(
          `${release.namespace}/${release.service}`,
          'the sandbox workloads need stableVersion in the spec',
        );
      }
      return new SandboxWorkloads(
        url,
        { stableVersion: release.stableVersion, canaryVersion: release.canaryVersion },
        options,
      );
    },
  };
}
