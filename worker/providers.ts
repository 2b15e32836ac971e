/**
 * The real providers behind the activities, one factory per family: Kubernetes routers and
 * workloads (clients created on first use, so a worker that only drives the sandbox needs no
 * cluster), Prometheus at the operator's metrics sources, and — only in sandbox mode (the local
 * stack) — the local sandbox's router and workloads.
 */
import type { ActivityDeps } from '../activities/release-activities.js';
import {
  createKubeClients,
  type KubeClientOptions,
  type KubeClients,
} from '../activities/kube/kube-clients.js';
import { KubeEvents } from '../activities/kube/events.js';
import { metricsProviders } from '../activities/metrics/factory.js';
import type { MetricsSources } from '../activities/metrics/sources.js';
import { createNotificationSink } from '../activities/notify/factory.js';
import type { SinkConfig } from '../activities/notify/types.js';
import type { SandboxProviders } from '../activities/providers.js';
import { createTrafficRouter } from '../activities/routers/factory.js';
import { createWorkloadManager } from '../activities/workloads/factory.js';
import type { ReleaseSpec, SubmittedSpec } from '../core/spec.js';
import type { EngineEnv } from './config.js';
import { loadEngineConfig, metricsSourcesOf, type EngineConfig } from './engine-config.js';

export interface ProviderOptions {
  kube?: KubeClientOptions;
  /**
   * The operator's metrics sources and allowed ad-hoc addresses (worker/engine-config.ts). Default:
   * only the "default" source at http://127.0.0.1:9090, no ad-hoc address.
   */
  metrics?: MetricsSources;
  /**
   * The local sandbox's providers, the one seam for them (activities/providers.ts). Without them a
   * sandbox spec fails with a non-retryable error naming `router.type` or `workloads.type`.
   */
  sandbox?: SandboxProviders;
  /**
   * The operator's notification sinks (worker/notification-config.ts) and the public URL of the
   * API for links to a release's page (CANARY_PUBLIC_URL). Default: no sinks.
   */
  notifications?: { sinks: Readonly<Record<string, SinkConfig>>; publicUrl?: string | undefined };
}

/**
 * Provider options from the engine's environment and the operator's config: kubeconfig, context,
 * metrics sources, and the sandbox's providers only in sandbox mode (CANARY_MODE=sandbox, which the
 * local stack sets; a standalone worker is never in it unless told). Async because sandbox/ is
 * imported only then: the production image is built without it (tsconfig.build.json).
 */
export async function providerOptionsFromEnv(
  env: EngineEnv,
  config: EngineConfig = loadEngineConfig(env),
): Promise<ProviderOptions> {
  return {
    kube: {
      ...(env.KUBECONFIG ? { kubeconfigPath: env.KUBECONFIG } : {}),
      ...(env.CANARY_KUBE_CONTEXT ? { context: env.CANARY_KUBE_CONTEXT } : {}),
    },
    metrics: metricsSourcesOf(config, env.CANARY_PROMETHEUS_URL),
    notifications: { sinks: config.notificationSinks, publicUrl: env.CANARY_PUBLIC_URL },
    ...(env.CANARY_MODE === 'sandbox'
      ? { sandbox: await sandboxSeam(env.CANARY_SANDBOX_URL) }
      : {}),
  };
}

/**
 * sandbox/providers.ts, named through a variable: with a literal, tsc would follow the import and
 * compile sandbox/ into the production build (tsconfig.build.json), which must not contain it.
 */
const SANDBOX_PROVIDERS_MODULE = '../sandbox/providers.js';

/** The part of sandbox/providers.ts used here (test/unit/worker-providers.test.ts checks it). */
export interface SandboxProvidersModule {
  sandboxProviders(options: { defaultUrl: string }): SandboxProviders;
}

/** The sandbox's providers, loaded on demand so that no production import graph reaches sandbox/. */
async function sandboxSeam(defaultUrl: string): Promise<SandboxProviders> {
  let module: SandboxProvidersModule;
  try {
    module = (await import(SANDBOX_PROVIDERS_MODULE)) as SandboxProvidersModule;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      'CANARY_MODE=sandbox, but this build has no sandbox (the production image ships none): ' +
        'run the sandbox image target, or set CANARY_MODE=cluster',
      { cause: error },
    );
  }
  return module.sandboxProviders({ defaultUrl });
}

export function createProviders(options: ProviderOptions = {}): ActivityDeps {
  let kube: KubeClients | undefined;
  const kubeClients = () => (kube ??= createKubeClients(options.kube));
  const sandbox = options.sandbox ? { sandbox: options.sandbox } : {};
  const metricsFor = metricsProviders(options.metrics);
  const sinks = options.notifications?.sinks ?? {};
  const publicUrl = options.notifications?.publicUrl;
  return {
    announce: {
      sinkFor: (name) => createNotificationSink(name, sinks, { publicUrl }),
      events: () => new KubeEvents(kubeClients()),
    },
    routerFor: (spec: ReleaseSpec) => createTrafficRouter(spec, kubeClients, sandbox),
    workloadsFor: (spec: SubmittedSpec) => createWorkloadManager(spec, kubeClients, sandbox),
    metricsFor,
  };
}
