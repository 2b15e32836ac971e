/**
 * Runs a real worker for the release workflow on the shared dev server, with the activities a test
 * supplies. The workflow bundle is built once per test file.
 */
import { createRequire } from 'node:module';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ReleaseActivities } from '../../activities/contract.js';
import { HEARTBEAT_THROTTLE } from '../../worker/index.js';
import { quietRuntime } from './runtime.js';

const require = createRequire(import.meta.url);
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows/index.ts'),
    logger: quietLogger,
  });
  return bundle;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

export async function startWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  activities: ReleaseActivities,
): Promise<Worker> {
  quietRuntime();
  return Worker.create({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    shutdownGraceTime: '2s',
    ...HEARTBEAT_THROTTLE,
  });
}
