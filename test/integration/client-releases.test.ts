/**
 * The release client (client/) on the shared Temporal dev server: every start rule holds for
 * whoever starts a release — the API, the benchmarks, the tests — and refusals are typed errors
 * that name the release. Before client/ owned them, the id rules lived in the API route only.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actOnRelease } from '../../client/actions.js';
import {
  ActionNotApplicableError,
  ReleaseEndedError,
  ReleaseIdTakenError,
  ReleaseNotFoundError,
} from '../../client/errors.js';
import { finalStatus, found, locateRelease } from '../../client/reads.js';
import { startRelease } from '../../client/releases.js';
import { releaseWorkflowId } from '../../core/spec.js';
import { fakeActivities, newFakeCluster } from '../harness/fake-activities.js';
import { inPhase, waitForStatus } from '../harness/release-run.js';
import { testSpec } from '../harness/release-spec.js';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal.js';
import { startWorker } from '../harness/workflow-worker.js';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;

beforeAll(async () => {
  env = await connectTestEnv();
  taskQueue = uniqueTaskQueue('client');
  worker = await startWorker(env, taskQueue, fakeActivities(newFakeCluster(), ['pass']));
  running = worker.run();
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await env?.teardown();
});

/** Waits until visibility lists the release (it indexes a new workflow a moment after it starts). */
async function visible(releaseId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await locateRelease(env.client, releaseId)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`release ${releaseId} never became visible`);
}

describe('starting a release through the client', () => {
  it('refuses a release id that already names a release of another service', async () => {
    const first = testSpec({
      releaseId: `shared-${Date.now()}`,
      schedule: { steps: [{ weight: 10, observe: '1m' }] },
    });
    await startRelease(env.client, first, { taskQueue });
    await visible(first.releaseId);
    const other = testSpec({ releaseId: first.releaseId });
    const refusal = startRelease(env.client, other, { taskQueue });
    await expect(refusal).rejects.toThrow(ReleaseIdTakenError);
    await expect(refusal).rejects.toThrow(
      `release id ${first.releaseId} already names a release of another service (workflow ${releaseWorkflowId(first.namespace, first.service)})`,
    );
    await env.client.workflow
      .getHandle(releaseWorkflowId(first.namespace, first.service))
      .terminate('test cleanup');
  });

  it('refuses to run a release id again once its release has ended, and starts it when the id was generated', async () => {
    const spec = testSpec({ releaseId: `once-${Date.now()}` });
    const started = await startRelease(env.client, spec, { taskQueue });
    await env.client.workflow.getHandle(started.workflowId).result();
    const again = startRelease(env.client, spec, { taskQueue });
    await expect(again).rejects.toThrow(ReleaseEndedError);
    await expect(again).rejects.toThrow(
      `release ${spec.releaseId} already ran and has ended (workflow COMPLETED)`,
    );
    // a generated id names no earlier release: the id checks are skipped
    const rerun = await startRelease(env.client, spec, { taskQueue, idChosen: false });
    expect(rerun.created).toBe(true);
    await env.client.workflow.getHandle(rerun.workflowId).result();
  });
});

describe('reading and acting on a release through the client', () => {
  it('names the release it cannot find', async () => {
    expect(() => found(undefined, 'no-such-release')).toThrow(ReleaseNotFoundError);
    expect(() => found(undefined, 'no-such-release')).toThrow(
      'no release has the id "no-such-release"',
    );
  });

  it("refuses an action that does not apply now with the workflow's reason, and one on an ended release with its final phase", async () => {
    const spec = testSpec({ schedule: { steps: [{ weight: 10, observe: '1m' }] } });
    await startRelease(env.client, spec, { taskQueue });
    await visible(spec.releaseId);
    const release = found(await locateRelease(env.client, spec.releaseId), spec.releaseId);
    const approve = actOnRelease(env.client, release, 'approve', { actor: 'alice' });
    await expect(approve).rejects.toThrow(ActionNotApplicableError);
    await expect(approve).rejects.toThrow(
      `cannot approve release ${spec.releaseId}: no approval gate is pending`,
    );

    // promote applies once the release is under way (not while routing is still prepared)
    await waitForStatus(release.handle, inPhase('Progressing'));
    const status = await actOnRelease(env.client, release, 'promote', { actor: 'alice' });
    expect(status.releaseId).toBe(spec.releaseId);
    expect((await finalStatus(env.client, release)).phase).toBe('Promoted');
    const late = actOnRelease(env.client, release, 'pause', { actor: 'alice' });
    await expect(late).rejects.toThrow(ReleaseEndedError);
    await expect(late).rejects.toThrow(
      `cannot pause release ${spec.releaseId}: the release has already ended (Promoted)`,
    );
  });
});
