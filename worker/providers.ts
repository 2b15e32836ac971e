/**
 * The real providers behind the activities: Kubernetes routers and workloads (clients created on
 * first use, so a worker that only drives the sandbox needs no cluster), Prometheus, and the
 * local sandbox's router and workloads.
 */
import type { ActivityDeps } from '../activities/release-activities.js';
import { createKubeClients, type KubeClientOptions, type KubeClients } from '../activities/kube/client.js';
import { createMetricsProvider } from '../activities/metrics/factory.js';
import { createTrafficRouter, type RouterFactoryOptions } from '../activities/routers/factory.js';
import { KubernetesWorkloadManager } from '../activities/workloads/kubernetes.js';
import type { ReleaseSpec } from '../core/spec.js';
import type { EngineEnv } from './config.js';
import { createSandboxRouter, sandboxProviders } from '../sandbox/providers.js';

export interface ProviderOptions {
  kube?: KubeClientOptions;
  /**
   * Addresses for specs that name none: Prometheus (`analysis.metrics.address`) and the sandbox
   * router (`router.url`), like Flagger's controller-wide -metrics-server flag.
   */
  defaults?: { prometheusUrl?: string; sandboxUrl?: string };
}

/** Provider options from the engine's environment: kubeconfig, context and default addresses. */
export function providerOptionsFromEnv(env: EngineEnv): ProviderOptions {
  return {
    kube: { ...(env.KUBECONFIG ? { kubeconfigPath: env.KUBECONFIG } : {}), ...(env.CANARY_KUBE_CONTEXT ? { context: env.CANARY_KUBE_CONTEXT } : {}) },
    defaults: { prometheusUrl: env.CANARY_PROMETHEUS_URL, sandboxUrl: env.CANARY_SANDBOX_URL },
  };
}

export function createProviders(options: ProviderOptions = {}): ActivityDeps {
  let kube: KubeClients | undefined;
  const kubeClients = () => (kube ??= createKubeClients(options.kube));
  const sandboxOptions = options.defaults?.sandboxUrl ? { defaultUrl: options.defaults.sandboxUrl } : {};
  const routerOptions: RouterFactoryOptions = { extra: { sandbox: (router, release) => createSandboxRouter(router, release, sandboxOptions) } };
  return {
    routerFor(spec: ReleaseSpec) {
      return createTrafficRouter(spec, kubeClients, routerOptions);
    },
    workloadsFor(spec: ReleaseSpec) {
      const workloads = spec.workloads;
      switch (workloads.type) {
        case 'kubernetes':
          return new KubernetesWorkloadManager(kubeClients().apps, spec.namespace, workloads);
        case 'sandbox':
          return sandboxProviders(spec, sandboxOptions).workloads;
        default: {
          const unknown: never = workloads;
          throw new Error(`unknown workloads type ${JSON.stringify(unknown)}`);
        }
      }
    },
    metricsFor(spec: ReleaseSpec) {
      return createMetricsProvider(spec.analysis.metrics, options.defaults?.prometheusUrl ? { defaultAddress: options.defaults.prometheusUrl } : {});
    },
  };
}
