/**
 * Kubernetes configuration for the worker: where the API server is, who we are, and the API
 * clients the routers and workload operations use.
 *
 * Sources, first match wins (never a silent fallback to localhost):
 *   1. an explicit kubeconfig path (tests, CLI flags);
 *   2. $KUBECONFIG (one or more files separated by ":", merged like kubectl does);
 *   3. the in-cluster service account (KUBERNETES_SERVICE_HOST set and its token mounted);
 *   4. ~/.kube/config.
 * $CANARY_KUBE_CONTEXT (or the `context` option) picks a context other than the current one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
} from '@kubernetes/client-node';
import { KubeConfigError } from './errors.js';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The API clients the engine needs, built from one KubeConfig. */
export interface KubeClients {
  readonly kubeConfig: KubeConfig;
  /** Dynamic client for every routing object (VirtualService, HTTPRoute, Ingress, TraefikService, ...). */
  readonly customObjects: CustomObjectsApi;
  /** Deployments and their scale subresource. */
  readonly apps: AppsV1Api;
  /** Services (the pre-flight checks the routers' Services exist). */
  readonly core: CoreV1Api;
  /** SelfSubjectAccessReviews: what the worker's identity may do (activities/kube/preflight-checks.ts). */
  readonly authorization: AuthorizationV1Api;
  /** Namespace of the current context (or the service account's), "default" when none is set. */
  readonly defaultNamespace: string;
  /** Where the configuration came from, for logs: "in-cluster", "kubeconfig /path (context x)". */
  readonly source: string;
}

export interface KubeClientOptions {
  kubeconfigPath?: string;
  context?: string;
  env?: NodeJS.ProcessEnv;
  /** Prefix of the in-cluster service account mount (/var/run/secrets/...); tests point it at a temp dir. */
  inClusterRoot?: string;
}

/** Loads the configuration (see the module comment for the order) and selects the context. */
export function loadKubeConfig(options: KubeClientOptions = {}): {
  kubeConfig: KubeConfig;
  source: string;
  namespace?: string;
} {
  const env = options.env ?? process.env;
  const root = options.inClusterRoot ?? '';
  const saDir = `${root}${SERVICE_ACCOUNT_DIR}`;
  const kubeConfig = new KubeConfig();
  let source: string;
  let namespace: string | undefined;

  const files = options.kubeconfigPath
    ? [options.kubeconfigPath]
    : (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (files.length > 0) {
    const present = files.filter((f) => existsSync(f));
    if (present.length === 0) {
      throw new KubeConfigError(
        `kubeconfig ${files.join(delimiter)} does not exist (from ${options.kubeconfigPath ? 'the kubeconfigPath option' : 'KUBECONFIG'})`,
      );
    }
    loadFiles(kubeConfig, present);
    source = `kubeconfig ${present.join(delimiter)}`;
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync(join(saDir, 'token'))) {
    loadInCluster(kubeConfig, env, saDir);
    source = 'in-cluster service account';
    const nsFile = join(saDir, 'namespace');
    if (existsSync(nsFile)) namespace = readFileSync(nsFile, 'utf8').trim() || undefined;
  } else {
    const home = join(env.HOME || homedir(), '.kube', 'config');
    if (!existsSync(home)) {
      throw new KubeConfigError(
        'no Kubernetes configuration found: set KUBECONFIG to a kubeconfig file, run inside a cluster with a service account, or create ~/.kube/config',
      );
    }
    loadFiles(kubeConfig, [home]);
    source = `kubeconfig ${home}`;
  }

  const context = options.context ?? env.CANARY_KUBE_CONTEXT;
  if (context) {
    if (!kubeConfig.getContextObject(context)) {
      const known =
        kubeConfig
          .getContexts()
          .map((c) => c.name)
          .join(', ') || 'none';
      throw new KubeConfigError(
        `context "${context}" (from ${options.context ? 'the context option' : 'CANARY_KUBE_CONTEXT'}) is not in ${source}; known contexts: ${known}`,
      );
    }
    kubeConfig.setCurrentContext(context);
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new KubeConfigError(
      `${source} has no cluster for its current context "${kubeConfig.getCurrentContext()}"`,
    );
  }
  if (!source.startsWith('in-cluster')) {
    namespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace || undefined;
    source += ` (context ${kubeConfig.getCurrentContext()})`;
  }
  return { kubeConfig, source, namespace };
}

/**
 * The mounted service account, like KubeConfig.loadFromCluster but from the given environment. The
 * token is re-read from its file (it is rotated), never copied into the configuration.
 */
function loadInCluster(kubeConfig: KubeConfig, env: NodeJS.ProcessEnv, saDir: string): void {
  const host = env.KUBERNETES_SERVICE_HOST as string;
  const port = env.KUBERNETES_SERVICE_PORT || '443';
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'in-cluster', server, caFile: join(saDir, 'ca.crt'), skipTLSVerify: false }],
    users: [
      {
        name: 'service-account',
        authProvider: { name: 'tokenFile', config: { tokenFile: join(saDir, 'token') } },
      },
    ],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'service-account' }],
    currentContext: 'in-cluster',
  });
}

function loadFiles(kubeConfig: KubeConfig, files: string[]): void {
  const [first, ...rest] = files as [string, ...string[]];
  kubeConfig.loadFromFile(first);
  for (const file of rest) {
    const more = new KubeConfig();
    more.loadFromFile(file);
    kubeConfig.mergeConfig(more, true);
  }
}

/** Builds the API clients from a loaded configuration. */
function kubeClientsFromConfig(
  kubeConfig: KubeConfig,
  source = 'kubeconfig',
  namespace?: string,
): KubeClients {
  return {
    kubeConfig,
    customObjects: kubeConfig.makeApiClient(CustomObjectsApi),
    apps: kubeConfig.makeApiClient(AppsV1Api),
    core: kubeConfig.makeApiClient(CoreV1Api),
    authorization: kubeConfig.makeApiClient(AuthorizationV1Api),
    defaultNamespace: namespace ?? 'default',
    source,
  };
}

/** Loads the configuration and returns the API clients: what the worker calls at start-up. */
export function createKubeClients(options: KubeClientOptions = {}): KubeClients {
  const { kubeConfig, source, namespace } = loadKubeConfig(options);
  return kubeClientsFromConfig(kubeConfig, source, namespace);
}
