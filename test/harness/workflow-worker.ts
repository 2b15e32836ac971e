/**
 * Runs a real worker for the release workflow on the shared dev server, with the activities a test
 * supplies. The workflow bundle is built once per test file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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

/**
 * A release worker in a process of its own (test/fixtures/worker-process.ts) with fake activities
 * whose cluster `tune` adjusts, polling `taskQueue` on the dev server at `address`; resolves once it
 * polls. Tests kill it (SIGKILL) to lose a worker.
 */
export async function startWorkerProcess(
  address: string,
  taskQueue: string,
  tune: Record<string, unknown> = {},
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/fixtures/worker-process.ts',
      address,
      taskQueue,
      JSON.stringify(tune),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker process exited early with ${code}`)));
  });
  return child;
}

/** Kills a worker process at once, as a lost machine would. */
export async function killWorkerProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
