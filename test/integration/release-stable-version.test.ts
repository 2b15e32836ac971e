/**
 * A spec without stableVersion on the real Temporal dev server, with fake activities: the
 * workflow reads the version from the stable workload before anything else, shows it in its status
 * (never "undefined" before), carries it through continue-as-new, and ends refused, with nothing
 * changed, when it cannot be read.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelease } from '../../client/releases.js';
import { validateReleaseSpec } from '../../core/spec.js';
import { statusQuery, type ReleaseStatus } from '../../workflows/messages.js';
import type { canaryRelease } from '../../workflows/release.js';
import { fakeActivities, newFakeCluster, type FakeCluster } from '../harness/fake-activities.js';
import { testSpecBody } from '../harness/release-spec.js';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal.js';
import { startWorker } from '../harness/workflow-worker.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await connectTestEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/** A release on Kubernetes workloads (faked) whose spec leaves stableVersion out. */
async function launch(tune: (c: FakeCluster) => void, historyLimit?: number) {
  const cluster = newFakeCluster('v7');
  tune(cluster);
  const taskQueue = uniqueTaskQueue('stable-version');
  const worker = await startWorker(env, taskQueue, fakeActivities(cluster, ['pass']));
  const done = worker.run();
  const checked = validateReleaseSpec(
    testSpecBody({ stableVersion: undefined, router: undefined }, 'sv'),
  );
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  const started = await startRelease(env.client, checked.spec, {
    taskQueue,
    ...(historyLimit ? { historyLimit } : {}),
  });
  const handle = env.client.workflow.getHandle<typeof canaryRelease>(started.workflowId);
  const finish = async (): Promise<ReleaseStatus> => {
    await handle.result().catch(() => undefined);
    const status = await handle.query(statusQuery);
    worker.shutdown();
    await done;
    return status;
  };
  return { cluster, handle, finish, spec: checked.spec };
}

describe('a release whose spec leaves out stableVersion', () => {
  it('reads the stable version before anything else and runs the release on it', async () => {
    const run = await launch((c) => (c.resolveDelayMs = 1500));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const early = await run.handle.query(statusQuery);
    expect(early).toMatchObject({ phase: 'Pending', stableVersion: null });
    expect(JSON.stringify(early)).not.toContain('undefined');
    const status = await run.finish();
    expect(status.phase).toBe('Promoted');
    expect(status.stableVersion).toBe('v7');
    expect(run.cluster.calls[0]).toBe('resolveStableVersion');
    expect(run.cluster.calls.filter((c) => c === 'resolveStableVersion')).toHaveLength(1);
    // the release list reads it from the memo, which had none at the start
    expect((await run.handle.describe()).memo).toMatchObject({ stableVersion: 'v7' });
    const workloads = run.spec.workloads as { stableDeployment: string };
    expect(status.timeline.map((e) => e.message).slice(0, 2)).toEqual([
      `stable version v7, read from default/Deployment/${workloads.stableDeployment} (label version)`,
      `release ${run.spec.releaseId}: ${run.spec.service} v7 → v2 in 2 steps`,
    ]);
  });

  it('carries the version it read through continue-as-new instead of reading it again', async () => {
    const run = await launch(() => undefined, 30);
    const status = await run.finish();
    expect(status.phase).toBe('Promoted');
    expect(status.generation).toBeGreaterThan(0);
    expect(status.stableVersion).toBe('v7');
    expect(run.cluster.calls.filter((c) => c === 'resolveStableVersion')).toHaveLength(1);
  });

  it('ends Rejected, with nothing changed, when the stable version cannot be read', async () => {
    const run = await launch((c) => (c.stableVersion = ''));
    const status = await run.finish();
    expect(status.phase).toBe('Rejected');
    expect(status.outcome).toContain('refused before any change');
    expect(status.outcome).toContain('has no "version" label');
    expect(run.cluster.calls).toEqual(['resolveStableVersion']);
    expect(run.cluster.weightHistory).toEqual([]);
  });
});
