/**
 * The real providers behind the activities, one factory per family: Kubernetes routers and
 * workloads (clients created on first use, so a worker that only drives the sandbox needs no
 * cluster), Prometheus, and — only when given — the local sandbox's router and workloads.
 */
import type { ActivityDeps } from '../activities/release-activities.js';
import {
  createKubeClients,
  type KubeClientOptions,
  type KubeClients,
} from '../activities/kube/kube-clients.js';
import { createMetricsProvider } from '../activities/metrics/factory.js';
import type { SandboxProviders } from '../activities/providers.js';
import { createTrafficRouter } from '../activities/routers/factory.js';
import { createWorkloadManager } from '../activities/workloads/factory.js';
import type { ReleaseSpec } from '../core/spec.js';
import type { EngineEnv } from './config.js';
import { sandboxProviders } from '../sandbox/providers.js';

export interface ProviderOptions {
  kube?: KubeClientOptions;
  /**
   * The address for specs that name none: Prometheus (`analysis.metrics.address`), like Flagger's
   * controller-wide -metrics-server flag.
   */
  defaults?: { prometheusUrl?: string };
  /**
   * The local sandbox's providers, the one seam for them (activities/providers.ts). Without them a
   * sandbox spec fails with a non-retryable error naming `router.type` or `workloads.type`.
   */
  sandbox?: SandboxProviders;
}

/** Provider options from the engine's environment: kubeconfig, context, default addresses, the sandbox. */
export function providerOptionsFromEnv(env: EngineEnv): ProviderOptions {
  return {
    kube: {
      ...(env.KUBECONFIG ? { kubeconfigPath: env.KUBECONFIG } : {}),
      ...(env.CANARY_KUBE_CONTEXT ? { context: env.CANARY_KUBE_CONTEXT } : {}),
    },
    defaults: { prometheusUrl: env.CANARY_PROMETHEUS_URL },
    // every worker can drive the local sandbox today (the sandbox router's default address is
    // CANARY_SANDBOX_URL); this is the one line that decides whether it can
    sandbox: sandboxProviders({ defaultUrl: env.CANARY_SANDBOX_URL }),
  };
}

export function createProviders(options: ProviderOptions = {}): ActivityDeps {
  let kube: KubeClients | undefined;
  const kubeClients = () => (kube ??= createKubeClients(options.kube));
  const sandbox = options.sandbox ? { sandbox: options.sandbox } : {};
  return {
    routerFor: (spec: ReleaseSpec) => createTrafficRouter(spec, kubeClients, sandbox),
    workloadsFor: (spec: ReleaseSpec) => createWorkloadManager(spec, kubeClients, sandbox),
    metricsFor: (spec: ReleaseSpec) =>
      createMetricsProvider(
        spec.analysis.metrics,
        options.defaults?.prometheusUrl ? { defaultAddress: options.defaults.prometheusUrl } : {},
      ),
  };
}
