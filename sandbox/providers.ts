/**
 * The sandbox's providers for a release, for the worker: the router and the workload manager of a
 * release whose router is `{ type: 'sandbox', url }`. Both talk to the control API at that URL.
 */
import { RouterConfigError } from '../activities/routers/errors.js';
import type { SandboxRouterSpec } from '../activities/routers/factory.js';
import type { TrafficRouter } from '../activities/routers/types.js';
import type { WorkloadManager } from '../activities/workloads/types.js';
import type { ReleaseSpec } from '../core/spec.js';
import type { ControlClientOptions } from './control-client.js';
import { SandboxRouter } from './sandbox-router.js';
import { SandboxWorkloads } from './sandbox-workloads.js';

export interface SandboxProviders {
  router: TrafficRouter;
  workloads: WorkloadManager;
}

/** The control API when neither the spec nor the worker names one. */
export const FALLBACK_SANDBOX_URL = 'http://127.0.0.1:8089';

export type SandboxProviderOptions = ControlClientOptions & { defaultUrl?: string };

/**
 * The router and workloads of a sandbox release. Throws a non-retryable RouterConfigError for a
 * release whose router is not the sandbox's. Cheap: nothing is contacted until a method is called.
 */
export function sandboxProviders(spec: ReleaseSpec, options: SandboxProviderOptions = {}): SandboxProviders {
  if (spec.router.type !== 'sandbox') {
    throw new RouterConfigError(`${spec.namespace}/${spec.service}`, `the sandbox providers need router type "sandbox", not "${spec.router.type}"`);
  }
  return {
    router: createSandboxRouter(spec.router, spec, options),
    workloads: new SandboxWorkloads(sandboxUrl(spec.router, options), { stableVersion: spec.stableVersion, canaryVersion: spec.canaryVersion }, options),
  };
}

function sandboxUrl(router: SandboxRouterSpec, options: SandboxProviderOptions): string {
  return router.url ?? options.defaultUrl ?? FALLBACK_SANDBOX_URL;
}

/**
 * The router alone, for the router factory's `extra.sandbox` hook (activities/routers/factory.ts):
 * `(router, release) => createSandboxRouter(router, release, options)`.
 */
export function createSandboxRouter(router: SandboxRouterSpec, _release: ReleaseSpec, options: SandboxProviderOptions = {}): TrafficRouter {
  return new SandboxRouter(sandboxUrl(router, options), options);
}
