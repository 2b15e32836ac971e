/**
 * The local stack `npm start` runs, as a function the end-to-end test calls too: a Temporal dev
 * server with persistence in the data directory (or TEMPORAL_ADDRESS), the worker, the API, and —
 * when no cluster is configured — the sandbox with a real Prometheus scraping it every second.
 * stop() takes everything down in order: the API drains, the worker finishes or hands back its
 * tasks, then the sandbox, Prometheus and Temporal stop.
 */
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { loadTokenStore } from '../api/auth.js';
import { createOidcAuth } from '../api/oidc/setup.js';
import { startApiServer, type ApiServer } from '../api/server.js';
import { createLogger } from '../observability/logger.js';
import { startTracing } from '../observability/tracing.js';
import { portInUse } from '../scripts/lib/proc.mjs';
import { startDevServer } from './temporal.js';
import {
  startSandbox,
  startStackPrometheus,
  type Sandbox,
  type StackPrometheus,
} from '../sandbox/index.js';
import type { EngineEnv } from '../worker/config.js';
import { createReleaseWorker } from '../worker/index.js';
import { engineCapabilities, loadEngineConfig, metricsSourcesOf } from '../worker/engine-config.js';
import { metricsProviders } from '../activities/metrics/factory.js';
import { createProviders, providerOptionsFromEnv } from '../worker/providers.js';
import { ensureSearchAttributes } from '../worker/search-attributes.js';
import { temporalConnectionOptions } from '../worker/temporal-connection.js';

export interface StackOptions {
  env: EngineEnv;
  /** Temporal SQLite file, Prometheus TSDB and API tokens live here. */
  dataDir: string;
  /** `temporal` binary (scripts/temporal-cli.mjs finds or builds it); needed unless TEMPORAL_ADDRESS is set. */
  temporalCli?: string;
  /** `prometheus` binary for sandbox mode; default: what ensurePrometheus() (scripts/prometheus.mjs) finds or installs. */
  prometheusBinary?: string;
  /** Environment the API reads its tokens from (default process.env). */
  tokenEnv?: Record<string, string | undefined>;
  log?: (message: string) => void;
}

export interface Stack {
  mode: 'sandbox' | 'cluster';
  apiUrl: string;
  temporalAddress: string;
  temporalUiUrl: string | null;
  prometheusUrl: string | null;
  sandboxUrl: string | null;
  tokensMessage: string;
  stop(): Promise<void>;
}

/**
 * Sandbox or cluster: CANARY_MODE when set, else cluster when a kubeconfig is given. The only
 * place that decides (scripts/start.mjs leaves it to the stack); only in sandbox mode do the
 * worker's sandbox providers exist and does the API accept sandbox specs.
 */
export function stackMode(env: Pick<EngineEnv, 'CANARY_MODE' | 'KUBECONFIG'>): Stack['mode'] {
  return env.CANARY_MODE ?? (env.KUBECONFIG ? 'cluster' : 'sandbox');
}

/** A Prometheus binary: $PROMETHEUS_PATH, PATH, else Debian's package (scripts/prometheus.mjs). */
async function findPrometheus(): Promise<string> {
  const { ensurePrometheus } = await import('../scripts/prometheus.mjs');
  return ensurePrometheus() as Promise<string>;
}

/** Things to stop, last started first. */
type Stopper = [name: string, stop: () => Promise<void>];

export async function startStack(options: StackOptions): Promise<Stack> {
  const { env, dataDir } = options;
  const log = options.log ?? ((m: string) => console.error(m));
  const stoppers: Stopper[] = [];
  const stop = async () => {
    for (const [name, fn] of stoppers.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        log(
          `[stack] stopping ${name} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  };
  try {
    const mode = stackMode(env);
    // the operator's config, read once: the worker's providers and the API's checks agree on it
    const config = loadEngineConfig(env);
    // before anything starts: finding Prometheus may mean installing it, and may fail
    const prometheusBinary =
      mode === 'sandbox' ? (options.prometheusBinary ?? (await findPrometheus())) : null;
    let temporalAddress = env.TEMPORAL_ADDRESS;
    let temporalUiUrl: string | null = env.TEMPORAL_UI_URL;
    if (!temporalAddress) {
      if (!options.temporalCli)
        throw new Error('no Temporal CLI given and TEMPORAL_ADDRESS is not set');
      for (const port of [env.TEMPORAL_PORT, env.TEMPORAL_UI_PORT]) {
        if (await portInUse(port))
          throw new Error(
            `port ${port} is in use: stop what runs there, set TEMPORAL_PORT/TEMPORAL_UI_PORT, or set TEMPORAL_ADDRESS to use a running Temporal server`,
          );
      }
      const server = await startDevServer({
        cli: options.temporalCli,
        port: env.TEMPORAL_PORT,
        uiPort: env.TEMPORAL_UI_PORT,
        dbFile: join(dataDir, 'temporal.sqlite'),
        logFile: join(dataDir, 'temporal.log'),
      });
      stoppers.push(['temporal', server.stop]);
      temporalAddress = server.address;
      temporalUiUrl = server.uiUrl;
      log(
        `[stack] Temporal dev server on ${server.address}, UI ${server.uiUrl} (history in ${join(dataDir, 'temporal.sqlite')})`,
      );
    }

    let sandbox: Sandbox | null = null;
    let prometheus: StackPrometheus | null = null;
    if (prometheusBinary) {
      // traffic for as long as the stack runs (the generator's own default stops after 2 h)
      sandbox = await startSandbox({
        routerPort: env.SANDBOX_ROUTER_PORT,
        demoBasePort: env.SANDBOX_DEMO_PORT,
        traffic: {
          maxDurationMs: Number.POSITIVE_INFINITY,
          ...(env.SANDBOX_RPS ? { ratePerSecond: env.SANDBOX_RPS } : {}),
        },
      });
      stoppers.push(['sandbox', () => sandbox!.stop()]);
      prometheus = await startStackPrometheus({
        binary: prometheusBinary,
        port: env.PROMETHEUS_PORT,
        dataDir: join(dataDir, 'prometheus'),
        targets: sandbox.scrapeTargets,
      });
      stoppers.push(['prometheus', () => prometheus!.stop()]);
      log(
        `[stack] sandbox router ${sandbox.routerUrl} (${sandbox.service} in namespace ${sandbox.namespace}), Prometheus ${prometheus.url} scraping every 1s`,
      );
    }

    // a server of the operator's may be secured (worker/temporal-connection.ts); the stack's own is plain
    const temporal = env.TEMPORAL_ADDRESS
      ? temporalConnectionOptions(env)
      : { address: temporalAddress };
    const connection = await Connection.connect(temporal);
    stoppers.push(['temporal client', () => connection.close()]);
    await ensureSearchAttributes(connection, env.TEMPORAL_NAMESPACE);
    // worker and API in one process share one tracer provider (docs/observability.md)
    const tracing = startTracing({ service: 'canary-engine', env });
    if (tracing) {
      stoppers.push(['tracing', () => tracing.shutdown()]);
      log(`[stack] traces to ${tracing.description}`);
    }
    const client = new Client({
      connection,
      namespace: env.TEMPORAL_NAMESPACE,
      ...(tracing
        ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } }
        : {}),
    });

    const native = await NativeConnection.connect(temporal);
    stoppers.push(['worker connection', () => native.close()]);
    const worker: Worker = await createReleaseWorker({
      connection: native,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.CANARY_TASK_QUEUE,
      // the stack's own Prometheus and sandbox, when it runs them, are the defaults; the sandbox's
      // providers exist only in sandbox mode
      providers: createProviders(
        await providerOptionsFromEnv(
          {
            ...env,
            CANARY_MODE: mode,
            CANARY_PROMETHEUS_URL: prometheus?.url ?? env.CANARY_PROMETHEUS_URL,
            CANARY_SANDBOX_URL: sandbox?.routerUrl ?? env.CANARY_SANDBOX_URL,
          },
          config,
        ),
      ),
      tracing,
    });
    const running = worker.run();
    stoppers.push([
      'worker',
      async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      },
    ]);
    log(`[stack] worker polling ${env.CANARY_TASK_QUEUE}`);

    const tokens = await loadTokenStore({ env: options.tokenEnv ?? process.env, dataDir });
    const oidc = config.auth.oidc ? createOidcAuth(config.auth.oidc) : undefined;
    const api: ApiServer = await startApiServer({
      port: env.PORT,
      host: env.HOST,
      client,
      tokens: tokens.store,
      ...(oidc ? { oidc } : {}),
      capabilities: engineCapabilities(config, { sandbox: mode === 'sandbox' }),
      taskQueue: env.CANARY_TASK_QUEUE,
      ...(temporalUiUrl ? { temporalUiUrl } : {}),
      metricsFor: metricsProviders(
        metricsSourcesOf(config, prometheus?.url ?? env.CANARY_PROMETHEUS_URL),
      ),
      // a person watches this terminal: request lines only when CANARY_LOG_LEVEL asks for them
      logger: createLogger('canary-api', {
        level: process.env.CANARY_LOG_LEVEL ? env.CANARY_LOG_LEVEL : 'warn',
      }),
      ...(tracing ? { tracer: tracing.tracer } : {}),
    });
    stoppers.push(['api', () => api.close()]);
    log(`[stack] API ${api.url} (docs ${api.url}/docs); ${tokens.message}`);

    return {
      mode,
      apiUrl: api.url,
      temporalAddress,
      temporalUiUrl,
      prometheusUrl: prometheus?.url ?? null,
      sandboxUrl: sandbox?.routerUrl ?? null,
      tokensMessage: tokens.message,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
