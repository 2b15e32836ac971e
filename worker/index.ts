/**
 * The release worker: runs the workflow and its activities on the engine's task queue.
 */
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/release-activities.js';
import { TASK_QUEUE } from '../workflows/messages.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface ReleaseWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  providers: ActivityDeps;
}

/**
 * A worker ready to run. `worker.run()` polls until `worker.shutdown()`, which stops polling and
 * lets in-flight activities finish within the grace time (then they are cancelled and retried
 * elsewhere, since Temporal hands the tasks to another worker).
 */
export async function createReleaseWorker(options: ReleaseWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowsPath: WORKFLOWS_PATH,
    activities: createActivities(options.providers),
    shutdownGraceTime: '10s',
  });
}
