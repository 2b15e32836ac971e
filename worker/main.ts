/**
 * Standalone worker process (the Docker image's `worker` command): connects to TEMPORAL_ADDRESS
 * and runs releases until SIGTERM/SIGINT, then shuts down gracefully.
 */
import { Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadEngineEnv } from './config.js';
import { createReleaseWorker } from './index.js';
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
const worker = await createReleaseWorker({
  connection,
  namespace: env.TEMPORAL_NAMESPACE,
  taskQueue: env.CANARY_TASK_QUEUE,
  providers: createProviders(providerOptionsFromEnv(env)),
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`[worker] ${signal}: finishing in-flight tasks`);
    worker.shutdown();
  });
}
console.error(`[worker] polling ${env.CANARY_TASK_QUEUE} on ${address}`);
await worker.run();
await connection.close();
console.error('[worker] stopped');
