/**
 * Standalone worker process (the Docker image's `worker` command): connects to TEMPORAL_ADDRESS
 * (with TLS, mTLS or an API key as worker/temporal-connection.ts configures) and runs releases
 * until SIGTERM/SIGINT, then shuts down gracefully. Serves /healthz, /readyz and /metrics on
 * CANARY_WORKER_HEALTH_PORT (0: none) for the kubelet and Prometheus, until it stops. Logs are JSON
 * lines (the SDK's too); traces go out over OTLP when configured (docs/observability.md).
 */
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { parsePatternList } from '../core/globs.js';
import { startWorkerObservability } from '../observability/worker.js';
import { loadEngineEnv, type EngineEnv } from './config.js';
import { startHealthServer } from './health.js';
import { createReleaseWorker } from './index.js';
import { WorkerMetrics } from './metrics.js';
import { createProviders, providerOptionsFromEnv, type ProviderOptions } from './providers.js';
import { checkSearchAttributes, searchAttributesMessage } from './search-attributes.js';
import {
  describeTemporalConnection,
  temporalConnectionOptions,
  type TemporalConnectionOptions,
} from './temporal-connection.js';

let env: EngineEnv;
let temporal: TemporalConnectionOptions;
try {
  env = loadEngineEnv();
  temporal = temporalConnectionOptions(env);
} catch (error) {
  // bad configuration: the message names the variable; a stack trace would only hide it
  console.error(`[worker] ${(error as Error).message}`);
  process.exit(2);
}
// the SDK's lines through the engine's JSON logger (its own only from warn); no SDK signal
// handlers: this process decides the shutdown order itself
const { tracing } = startWorkerObservability(env);
if (tracing) console.error(`[worker] traces to ${tracing.description}`);
const address = temporal.address;
const where = describeTemporalConnection(temporal);
/** Connects or exits with one line: TLS and key problems surface here, not as a stack trace. */
async function connectOrExit<T>(what: string, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (error) {
    console.error(
      `[worker] cannot connect ${what} to Temporal at ${where}: ${(error as Error).message}`,
    );
    process.exit(1);
  }
}
let providerOptions: ProviderOptions;
try {
  providerOptions = await providerOptionsFromEnv(env);
} catch (error) {
  // a configuration this build cannot serve (sandbox mode without the sandbox): one line, exit 2
  console.error(`[worker] ${(error as Error).message}`);
  process.exit(2);
}
const admin = await connectOrExit('its client', () => Connection.connect(temporal));
const outcome = await checkSearchAttributes(admin.operatorService, env.TEMPORAL_NAMESPACE, address);
const report = searchAttributesMessage(outcome, env.TEMPORAL_NAMESPACE);
if (report.lines.length > 0)
  console.error(`[worker] ${report.warn ? 'warning: ' : ''}${report.lines.join('\n')}`);
await admin.close();
const connection = await connectOrExit('its worker', () => NativeConnection.connect(temporal));
const metrics = new WorkerMetrics({
  visibility: { connection, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.CANARY_TASK_QUEUE },
});
const stopObservingWrites = metrics.observeObjectWrites();
const worker = await createReleaseWorker({
  connection,
  namespace: env.TEMPORAL_NAMESPACE,
  taskQueue: env.CANARY_TASK_QUEUE,
  providers: {
    ...createProviders(providerOptions),
    allowedNamespaces: parsePatternList(env.CANARY_ALLOWED_NAMESPACES),
  },
  metrics,
  tracing,
});
// started before run() so a slow first poll is visible as "not ready" rather than as no answer
const health =
  env.CANARY_WORKER_HEALTH_PORT === 0
    ? undefined
    : await startHealthServer({
        port: env.CANARY_WORKER_HEALTH_PORT,
        host: env.CANARY_WORKER_HEALTH_HOST,
        connection,
        temporalAddress: address,
        workerState: () => worker.getState(),
        metrics,
      });
if (health) console.error(`[worker] health and metrics on ${health.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`[worker] ${signal}: finishing in-flight tasks`);
    worker.shutdown();
  });
}
console.error(`[worker] polling ${env.CANARY_TASK_QUEUE} on ${where}`);
await worker.run();
stopObservingWrites();
await health?.close();
await connection.close();
await tracing?.shutdown();
console.error('[worker] stopped');
