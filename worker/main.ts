/**
 * Standalone worker process (the Docker image's `worker` command): connects to TEMPORAL_ADDRESS
 * and runs releases until SIGTERM/SIGINT, then shuts down gracefully.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadEngineEnv } from './config.js';
import { createReleaseWorker } from './index.js';
import { createProviders } from './providers.js';

const env = loadEngineEnv();
const address = env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const connection = await NativeConnection.connect({ address });
const worker = await createReleaseWorker({
  connection,
  namespace: env.TEMPORAL_NAMESPACE,
  taskQueue: env.CANARY_TASK_QUEUE,
  providers: createProviders({ kube: { ...(env.KUBECONFIG ? { kubeconfigPath: env.KUBECONFIG } : {}), ...(env.CANARY_KUBE_CONTEXT ? { context: env.CANARY_KUBE_CONTEXT } : {}) } }),
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
