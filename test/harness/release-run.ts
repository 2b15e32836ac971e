/**
 * One release of the real workflow on the shared dev server with fake activities
 * (fake-activities.ts), for tests about the workflow itself: start it on its own task queue and
 * worker, wait for a status, and read its final status however it ended.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createAnnounceActivities, type AnnounceDeps } from '../../activities/notify/announce.js';
import { startRelease, type StartOptions } from '../../client/releases.js';
import type { ReleaseSpec } from '../../core/spec.js';
import type { Verdict } from '../../core/types.js';
import { statusQuery, type Phase, type ReleaseStatus } from '../../workflows/messages.js';
import type { canaryRelease } from '../../workflows/release.js';
import { fakeActivities, newFakeCluster, type FakeCluster } from './fake-activities.js';
import { testSpec } from './release-spec.js';
import { uniqueTaskQueue } from './temporal.js';
import { startWorker } from './workflow-worker.js';

export type ReleaseHandle = WorkflowHandle<typeof canaryRelease>;

export interface RunningRelease {
  handle: ReleaseHandle;
  cluster: FakeCluster;
  worker: Worker;
  done: Promise<void>;
  spec: ReleaseSpec;
  taskQueue: string;
}

export interface LaunchOptions extends Pick<
  StartOptions,
  'historyLimit' | 'rollbackTiming' | 'announceTiming'
> {
  /** Adjusts the fake cluster before the release starts. */
  tune?: (cluster: FakeCluster) => void;
  /** The real announce activity with these sinks and events (default: none registered). */
  announce?: AnnounceDeps;
}

/** Starts a release of `testSpec(specOverrides)` with scripted analysis verdicts. */
export async function launchRelease(
  env: TestWorkflowEnvironment,
  specOverrides: Record<string, unknown>,
  script: Verdict[],
  options: LaunchOptions = {},
): Promise<RunningRelease> {
  const cluster = newFakeCluster();
  options.tune?.(cluster);
  const taskQueue = uniqueTaskQueue('release');
  const worker = await startWorker(env, taskQueue, {
    ...fakeActivities(cluster, script),
    ...(options.announce ? createAnnounceActivities(options.announce) : {}),
  });
  const done = worker.run();
  const spec = testSpec(specOverrides);
  const started = await startRelease(env.client, spec, {
    taskQueue,
    ...(options.historyLimit ? { historyLimit: options.historyLimit } : {}),
    ...(options.rollbackTiming ? { rollbackTiming: options.rollbackTiming } : {}),
    ...(options.announceTiming ? { announceTiming: options.announceTiming } : {}),
  });
  const handle = env.client.workflow.getHandle<typeof canaryRelease>(started.workflowId);
  return { handle, cluster, worker, done, spec, taskQueue };
}

/** Waits for the release to end, stops its worker and returns the final status. */
export async function finishRelease(run: RunningRelease): Promise<ReleaseStatus> {
  try {
    await run.handle.result();
  } catch {
    // a Failed release fails the workflow; its status is still queryable
  }
  const status = await run.handle.query(statusQuery);
  run.worker.shutdown();
  await run.done;
  return status;
}

/** Polls the status query until `predicate` holds. */
export async function waitForStatus(
  handle: ReleaseHandle,
  predicate: (s: ReleaseStatus) => boolean,
  timeoutMs = 20_000,
): Promise<ReleaseStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(statusQuery);
    if (predicate(status)) return status;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting; last status phase=${status.phase} step=${status.step}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const inPhase = (phase: Phase) => (s: ReleaseStatus) => s.phase === phase;
