/**
 * The release worker: runs the workflow and its activities on the engine's task queue, with the
 * metrics interceptor when the process serves /metrics, the release's fields on activity log lines,
 * and OpenTelemetry spans when tracing is on (observability/worker.ts).
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/release-activities.js';
import type { Tracing } from '../observability/tracing.js';
import { workerTelemetry } from '../observability/worker.js';
import { TASK_QUEUE } from '../workflows/messages.js';
import type { WorkerMetrics } from './metrics.js';

/**
 * How long in-flight activities may finish after shutdown() before they are cancelled. The Helm
 * chart's terminationGracePeriodSeconds adds time for cancellation and closing to it.
 */
export const SHUTDOWN_GRACE_SECONDS = 10;

/**
 * The longest the worker holds back an activity's heartbeat (Worker.create's throttle options).
 * A cancellation (an abort) reaches an activity only in the answer to a heartbeat, and by default
 * the SDK sends one at most every 0.8 × heartbeatTimeout; activities heartbeat every second
 * (activities/heartbeat.ts), so with this an abort lands within 1–2 s.
 */
export const HEARTBEAT_THROTTLE = {
  maxHeartbeatThrottleInterval: '1s',
  defaultHeartbeatThrottleInterval: '1s',
} as const;

/** The workflows' entry, with this module's extension: .ts under tsx, .js once compiled to dist/. */
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`../workflows/index${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

export interface ReleaseWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  providers: ActivityDeps;
  /** Times activities and records decisions and rollbacks (worker/metrics.ts). */
  metrics?: WorkerMetrics;
  /** Tracing of this process (observability/tracing.ts); undefined: no spans. */
  tracing?: Tracing;
}

/**
 * A worker ready to run. `worker.run()` polls until `worker.shutdown()`, which stops polling and
 * lets in-flight activities finish within the grace time (then they are cancelled and retried
 * elsewhere, since Temporal hands the tasks to another worker).
 */
export async function createReleaseWorker(options: ReleaseWorkerOptions): Promise<Worker> {
  const telemetry = workerTelemetry(options.tracing);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowsPath: WORKFLOWS_PATH,
    activities: createActivities(options.providers),
    shutdownGraceTime: SHUTDOWN_GRACE_SECONDS * 1000,
    ...HEARTBEAT_THROTTLE,
    interceptors: {
      activity: [
        ...telemetry.activity,
        ...(options.metrics ? [options.metrics.activityInterceptors()] : []),
      ],
      workflowModules: telemetry.workflowModules,
    },
    sinks: telemetry.sinks,
  });
}
