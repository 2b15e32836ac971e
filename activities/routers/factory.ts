/**
 * Picks the TrafficRouter for a release spec. The switch is exhaustive: adding a router type to
 * core/routing/config.ts without a case here fails to compile. There is no default router: an
 * unknown type never reaches this point (the spec schema rejects it at submission).
 */
import type { z } from 'zod';
import type { sandboxRouterSchema } from '../../core/routing/config.js';
import type { ReleaseSpec } from '../../core/spec.js';
import type { KubeClients } from '../kube/client.js';
import { ObjectStore, type ObjectStoreOptions } from '../kube/objects.js';
import { UnsupportedRouterError } from './errors.js';
import { GatewayApiRouter } from './gateway-api.js';
import { IstioRouter } from './istio.js';
import { NginxRouter } from './nginx.js';
import { TraefikRouter } from './traefik.js';
import type { TrafficRouter } from './types.js';

export type SandboxRouterSpec = z.output<typeof sandboxRouterSchema>;

/** Routers that live outside this folder, supplied by the worker that has them. */
export interface ExtraRouters {
  /** The local sandbox's router (sandbox/); without it a sandbox spec fails with UnsupportedRouterError. */
  sandbox?: (spec: SandboxRouterSpec, release: ReleaseSpec) => TrafficRouter;
}

export interface RouterFactoryOptions {
  extra?: ExtraRouters;
  /** Conflict retries of the optimistic writes. */
  store?: ObjectStoreOptions;
}

/**
 * The router for a release: one per call, cheap to build (it holds no connection of its own).
 * `kube` may be a function, called only for the routers that need a cluster, so a worker that only
 * drives the sandbox needs no Kubernetes configuration.
 */
export function createTrafficRouter(spec: ReleaseSpec, kube: KubeClients | (() => KubeClients), options: RouterFactoryOptions = {}): TrafficRouter {
  const router = spec.router;
  const store = () => new ObjectStore((typeof kube === 'function' ? kube() : kube).customObjects, options.store);
  switch (router.type) {
    case 'istio':
      return new IstioRouter(store(), spec.namespace, router);
    case 'gateway-api':
      return new GatewayApiRouter(store(), spec.namespace, router);
    case 'nginx':
      return new NginxRouter(store(), spec.namespace, router);
    case 'traefik':
      return new TraefikRouter(store(), spec.namespace, router);
    case 'sandbox': {
      const build = options.extra?.sandbox;
      if (!build) throw new UnsupportedRouterError('sandbox', 'this worker was started without the sandbox router (pass extra.sandbox to createTrafficRouter)');
      return build(router, spec);
    }
    default: {
      const unknown: never = router;
      throw new UnsupportedRouterError(String((unknown as { type?: unknown }).type), 'no such router type');
    }
  }
}
