/**
 * Standalone worker process (the Docker image's `worker` command): connects to TEMPORAL_ADDRESS
 * and runs releases until SIGTERM/SIGINT, then shuts down gracefully. Serves /healthz, /readyz and
 * /metrics on CANARY_WORKER_HEALTH_PORT (0: none) for the kubelet and Prometheus, until it stops.
 */
import { Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { parsePatternList } from '../core/globs.js';
import { loadEngineEnv } from './config.js';
import { startHealthServer } from './health.js';
import { createReleaseWorker } from './index.js';
import { WorkerMetrics } from './metrics.js';
import { createProviders, providerOptionsFromEnv } from './providers.js';
import { ensureSearchAttributes } from './search-attributes.js';

// the SDK's own logs at WARN (worker state changes and bundler output would drown what matters);
// no SDK signal handlers: this process decides the shutdown order itself
Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
const env = loadEngineEnv();
const address = env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const admin = await Connection.connect({ address });
const added = await ensureSearchAttributes(admin, env.TEMPORAL_NAMESPACE);
if (added.length > 0) console.error(`[worker] registered search attributes ${added.join(', ')}`);
await admin.close();
const connection = await NativeConnection.connect({ address });
const metrics = new WorkerMetrics({
  visibility: { connection, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.CANARY_TASK_QUEUE },
});
const stopObservingWrites = metrics.observeObjectWrites();
const worker = await createReleaseWorker({
  connection,
  namespace: env.TEMPORAL_NAMESPACE,
  taskQueue: env.CANARY_TASK_QUEUE,
  providers: {
    ...createProviders(providerOptionsFromEnv(env)),
    allowedNamespaces: parsePatternList(env.CANARY_ALLOWED_NAMESPACES),
  },
  metrics,
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
console.error(`[worker] polling ${env.CANARY_TASK_QUEUE} on ${address}`);
await worker.run();
stopObservingWrites();
await health?.close();
await connection.close();
console.error('[worker] stopped');
