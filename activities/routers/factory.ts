/**
 * Picks the TrafficRouter for a release spec. The switch is exhaustive: adding a router type to
 * core/routing/config.ts without a case here fails to compile. There is no default router: an
 * unknown type never reaches this point (the spec schema rejects it at submission).
 */
import type { ReleaseSpec } from '../../core/spec.js';
import type { KubeClients } from '../kube/kube-clients.js';
import { ObjectStore, type ObjectStoreOptions } from '../kube/objects.js';
import { ClusterChecks } from '../kube/preflight-checks.js';
import {
  kubeClientsOf,
  withoutSandbox,
  type KubeSource,
  type SandboxProviders,
} from '../providers.js';
import { UnsupportedRouterError } from './errors.js';
import { GatewayApiRouter } from './gateway-api.js';
import { IstioRouter } from './istio.js';
import { NginxRouter } from './nginx.js';
import { TraefikRouter } from './traefik.js';
import type { TrafficRouter } from './types.js';

export interface RouterFactoryOptions {
  /** The local sandbox's providers; without them a sandbox spec fails with UnsupportedRouterError. */
  sandbox?: SandboxProviders;
  /** Conflict retries of the optimistic writes. */
  store?: ObjectStoreOptions;
}

/**
 * The router for a release: one per call, cheap to build (it holds no connection of its own).
 * `kube` may be a function, called only for the routers that need a cluster, so a worker that only
 * drives the sandbox needs no Kubernetes configuration.
 */
export function createTrafficRouter(
  spec: ReleaseSpec,
  kube: KubeSource,
  options: RouterFactoryOptions = {},
): TrafficRouter {
  const router = spec.router;
  let clients: KubeClients | undefined;
  const cluster = () => (clients ??= kubeClientsOf(kube));
  const store = () => new ObjectStore(cluster().customObjects, options.store);
  const checks = () => new ClusterChecks(cluster());
  switch (router.type) {
    case 'istio':
      return new IstioRouter(store(), spec.namespace, router, checks());
    case 'gateway-api':
      return new GatewayApiRouter(store(), spec.namespace, router, checks());
    case 'nginx':
      return new NginxRouter(store(), spec.namespace, router, checks());
    case 'traefik':
      return new TraefikRouter(store(), spec.namespace, router, checks());
    case 'sandbox':
      if (!options.sandbox)
        throw new UnsupportedRouterError('sandbox', withoutSandbox('router.type'));
      return options.sandbox.router(router, spec);
    default: {
      const unknown: never = router;
      throw new UnsupportedRouterError(
        String((unknown as { type?: unknown }).type),
        'no such router type',
      );
    }
  }
}
