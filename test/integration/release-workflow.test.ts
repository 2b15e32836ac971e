/**
 * The release workflow on the real Temporal dev server, with fake activities: these tests are
 * about the workflow's decisions, gates, messages and durability, not about routers or metrics.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseConflictError, startRelease } from '../../client/releases.js';
import {
  abortSignal,
  abortUpdate,
  approveSignal,
  approveUpdate,
  pauseUpdate,
  promoteUpdate,
  resumeUpdate,
  statusQuery,
} from '../../workflows/messages.js';
import type { canaryRelease } from '../../workflows/release.js';
import { fakeActivities, newFakeCluster, type FakeCluster } from '../harness/fake-activities.js';
import { testSpec } from '../harness/release-spec.js';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal.js';
import { killWorkerProcess, startWorker, startWorkerProcess } from '../harness/workflow-worker.js';
import {
  finishRelease,
  inPhase,
  launchRelease,
  waitForStatus,
  type RunningRelease,
} from '../harness/release-run.js';
import type { Verdict } from '../../core/types.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await connectTestEnv();
});
afterAll(async () => {
  await env?.teardown();
});

type Running = RunningRelease;

const launch = (
  specOverrides: Record<string, unknown>,
  script: Verdict[],
  tune?: (c: FakeCluster) => void,
  historyLimit?: number,
): Promise<Running> =>
  launchRelease(env, specOverrides, script, {
    ...(tune ? { tune } : {}),
    ...(historyLimit ? { historyLimit } : {}),
  });
const finish = finishRelease;
const waitFor = waitForStatus;

describe('the canary release workflow', () => {
  it('promotes a healthy canary through every step and restores all traffic to the promoted stable', async () => {
    const run = await launch({}, ['pass']);
    const status = await finish(run);
    expect(status.phase).toBe('Promoted');
    // step 1, step 2, all traffic to the canary during promotion, then back to the promoted stable
    expect(run.cluster.weightHistory).toEqual([10, 50, 100, 0]);
    expect(run.cluster.stableVersion).toBe('v2');
    expect(run.cluster.canaryReplicas).toBe(0);
    expect(run.cluster.cohortsApplied).toBe(false);
    expect(status.decisions.map((d) => d.action)).toEqual(['next step', 'promote']);
    expect(status.weights).toEqual({ stable: 100, canary: 0 });
  });

  it('rolls back when analysis fails at step 2 and says why', async () => {
    const run = await launch({}, ['pass', 'fail']);
    const status = await finish(run);
    expect(status.phase).toBe('RolledBack');
    expect(run.cluster.weightHistory).toEqual([10, 50, 0]);
    expect(run.cluster.stableVersion).toBe('v1');
    expect(status.outcome).toContain('analysis failed at step 2: error rate 5.0% vs 1.0% baseline');
    expect(status.decisions[1]?.action).toBe('roll back');
  });

  it('rolls back within a second of an abort in the middle of a window', async () => {
    const run = await launch({ schedule: { steps: [{ weight: 20, observe: '1m' }] } }, ['pass']);
    await waitFor(run.handle, (s) => s.step === 1 && s.windowEndsAt !== null);
    const sentAt = Date.now();
    await run.handle.signal(abortSignal, { actor: 'alice', reason: 'customer complaints' });
    const status = await finish(run);
    expect(status.phase).toBe('RolledBack');
    expect(run.cluster.lastRestoredAt! - sentAt).toBeLessThan(1000);
    expect(status.outcome).toBe('aborted by alice: customer complaints');
    expect(status.actions[0]).toMatchObject({ action: 'abort', actor: 'alice', context: 'step 1' });
  });

  it('stops the clock while paused and carries on after resume', async () => {
    const run = await launch({ schedule: { steps: [{ weight: 20, observe: '2s' }] } }, ['pass']);
    await waitFor(run.handle, (s) => s.windowEndsAt !== null);
    await run.handle.executeUpdate(pauseUpdate, { args: [{ actor: 'bob' }] });
    const paused = await waitFor(run.handle, inPhase('Paused'));
    expect(paused.windowRemainingMs).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3000));
    const still = await run.handle.query(statusQuery);
    expect(still.phase).toBe('Paused');
    expect(run.cluster.looks).toHaveLength(0);
    await run.handle.executeUpdate(resumeUpdate, {
      args: [{ actor: 'bob', comment: 'looked fine' }],
    });
    const status = await finish(run);
    expect(status.phase).toBe('Promoted');
    expect(status.actions.map((a) => `${a.action}:${a.actor}`)).toEqual([
      'pause:bob',
      'resume:bob',
    ]);
  });

  it('waits at an approval gate and proceeds when a person approves', async () => {
    const run = await launch(
      {
        schedule: {
          steps: [
            { weight: 10, observe: '1s' },
            { weight: 50, observe: '1s', approval: true },
          ],
        },
      },
      ['pass'],
    );
    const gated = await waitFor(run.handle, inPhase('AwaitingApproval'));
    expect(gated.pendingGate).toMatchObject({ kind: 'step', step: 2 });
    expect(run.cluster.weightHistory).toEqual([10]);
    const after = await run.handle.executeUpdate(approveUpdate, {
      args: [{ actor: 'carol', comment: 'dashboards look good' }],
    });
    expect(after.actions.at(-1)).toMatchObject({
      action: 'approve',
      actor: 'carol',
      context: 'gate before step 2',
      comment: 'dashboards look good',
    });
    const status = await finish(run);
    expect(status.phase).toBe('Promoted');
  });

  it('rolls back when an approval is not given before the timeout', async () => {
    const run = await launch(
      {
        schedule: { steps: [{ weight: 10, observe: '1s' }] },
        policies: {
          approval: { timeout: '2s', onTimeout: 'rollback' },
          promotion: { requireApproval: true },
        },
      },
      ['pass'],
    );
    await waitFor(run.handle, inPhase('AwaitingApproval'));
    const status = await finish(run);
    expect(status.phase).toBe('RolledBack');
    expect(status.outcome).toBe('no approval within 2s for approval before promotion');
  });

  it('rejects an approval update when no gate is pending, and the release carries on', async () => {
    const run = await launch({ schedule: { steps: [{ weight: 10, observe: '3s' }] } }, ['pass']);
    await waitFor(run.handle, (s) => s.windowEndsAt !== null);
    await expect(
      run.handle.executeUpdate(approveUpdate, { args: [{ actor: 'dave' }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    const status = await finish(run);
    expect(status.phase).toBe('Promoted');
    expect(status.actions).toHaveLength(0);
  });

  it('ignores a signal with a malformed payload, notes it, and still promotes', async () => {
    const run = await launch({ schedule: { steps: [{ weight: 10, observe: '2s' }] } }, ['pass']);
    await waitFor(run.handle, (s) => s.windowEndsAt !== null);
    await run.handle.signal(abortSignal, { actor: 42 } as never);
    await run.handle.signal(approveSignal, 'not an object' as never);
    await run.handle.signal(approveSignal, { actor: 'ivan', releaseId: 42 } as never);
    const status = await finish(run);
    expect(status.phase).toBe('Promoted');
    const errors = status.timeline.filter((e) => e.type === 'error').map((e) => e.message);
    expect(errors).toEqual([
      'ignored abort signal: abort: "actor" must be a non-empty string of at most 128 characters',
      'ignored approve signal: approve expects an object such as {"actor": "alice"}',
      'ignored approve signal: approve: "releaseId" must be a string of at most 128 characters',
    ]);
  });

  it('refuses an update and ignores a signal meant for another release of the same service', async () => {
    const run = await launch({ schedule: { steps: [{ weight: 10, observe: '3s' }] } }, ['pass']);
    await waitFor(run.handle, (s) => s.windowEndsAt !== null);
    const update = run.handle.executeUpdate(pauseUpdate, {
      args: [{ actor: 'hank', releaseId: 'an-older-release' }],
    });
    await expect(update).rejects.toThrow(WorkflowUpdateFailedError);
    const failure = await update.catch((error: WorkflowUpdateFailedError) => error.cause);
    expect(failure).toMatchObject({
      type: 'OtherRelease',
      message: `pause was meant for release an-older-release, but this workflow runs release ${run.spec.releaseId}`,
    });
    await run.handle.signal(abortSignal, {
      actor: 'hank',
      reason: 'meant for the old one',
      releaseId: 'an-older-release',
    });
    // the release's own id is accepted
    await run.handle.executeUpdate(promoteUpdate, {
      args: [{ actor: 'hank', releaseId: run.spec.releaseId }],
    });
    const status = await finish(run);
    expect(status.phase).toBe('Promoted');
    expect(status.actions.map((a) => a.action)).toEqual(['promote']);
    expect(status.timeline.filter((e) => e.type === 'error').map((e) => e.message)).toEqual([
      `ignored abort signal: abort was meant for release an-older-release, but this workflow runs release ${run.spec.releaseId}`,
    ]);
  });

  it('extends an inconclusive window and rolls back when it stays inconclusive, per policy', async () => {
    const run = await launch(
      {
        schedule: { steps: [{ weight: 10, observe: '1s' }] },
        policies: { inconclusive: { maxExtensions: 2, extendBy: '1s', then: 'rollback' } },
      },
      ['inconclusive'],
    );
    const status = await finish(run);
    expect(status.phase).toBe('RolledBack');
    expect(status.decisions.map((d) => d.action)).toEqual([
      'extend window by 1s (1/2)',
      'extend window by 1s (2/2)',
      'roll back (inconclusive after every extension)',
    ]);
    expect(run.cluster.looks.map((l) => l.look)).toEqual([1, 2, 3]);
  });

  it('holds an inconclusive release for a person, who lets it proceed', async () => {
    const run = await launch(
      {
        schedule: { steps: [{ weight: 10, observe: '1s' }] },
        policies: { inconclusive: { maxExtensions: 1, extendBy: '1s', then: 'hold' } },
      },
      ['inconclusive'],
    );
    const held = await waitFor(run.handle, inPhase('AwaitingApproval'));
    expect(held.pendingGate?.kind).toBe('hold');
    await run.handle.executeUpdate(approveUpdate, { args: [{ actor: 'erin' }] });
    const status = await finish(run);
    expect(status.phase).toBe('Promoted');
  });

  it('retries the router during rollback until traffic is restored', async () => {
    const run = await launch({}, ['fail']);
    await waitFor(run.handle, (s) => s.decisions.length === 0 && s.windowEndsAt !== null);
    run.cluster.failRouterWrites = 2;
    const status = await finish(run);
    expect(status.phase).toBe('RolledBack');
    expect(run.cluster.calls.filter((c) => c === 'finish:rolledBack').length).toBe(3);
    expect(run.cluster.weights).toEqual({ stable: 100, canary: 0 });
  });

  it('keeps traffic on the healthy canary and fails loudly when stable does not become ready during promotion', async () => {
    const run = await launch({}, ['pass'], (c) => {
      c.promotionFails = true;
    });
    const status = await finish(run);
    expect(status.phase).toBe('Failed');
    expect(run.cluster.weights).toEqual({ stable: 0, canary: 100 });
    expect(status.outcome).toContain('traffic stays 100% on the canary');
  });

  it('restores the stable workload and all traffic when an abort arrives during promotion', async () => {
    const run = await launch(
      { schedule: { steps: [{ weight: 10, observe: '1s' }] } },
      ['pass'],
      (c) => {
        c.promoteDelayMs = 2000;
      },
    );
    await waitFor(run.handle, () => run.cluster.calls.includes('promote'));
    expect(run.cluster.stableVersion).toBe('v2');
    await run.handle.signal(abortSignal, {
      actor: 'jack',
      reason: 'latency alert during the rollout',
    });
    const status = await finish(run);
    expect(status.phase).toBe('RolledBack');
    expect(status.outcome).toBe('aborted by jack: latency alert during the rollout');
    expect(run.cluster.calls.slice(-3)).toEqual(['promote', 'restore', 'finish:rolledBack']);
    expect(run.cluster.stableVersion).toBe('v1');
    expect(run.cluster.weights).toEqual({ stable: 100, canary: 0 });
    expect(status.weights).toEqual({ stable: 100, canary: 0 });
  });

  it('finishes the promotion when the workflow is cancelled while routing is being reset', async () => {
    const run = await launch(
      { schedule: { steps: [{ weight: 10, observe: '1s' }] } },
      ['pass'],
      (c) => {
        c.finishDelayMs = 2000;
      },
    );
    await waitFor(run.handle, () => run.cluster.calls.includes('finish:promoted'));
    await run.handle.cancel();
    const result = await run.handle.result();
    expect(result.phase).toBe('Promoted');
    const status = await finish(run);
    expect(status.phase).toBe('Promoted');
    expect(status.outcome).toBe('promoted v2: every step passed analysis');
    expect(status.weights).toEqual({ stable: 100, canary: 0 });
    expect(run.cluster.weights).toEqual({ stable: 100, canary: 0 });
    expect(run.cluster.stableVersion).toBe('v2');
    expect(run.cluster.calls.filter((c) => c.startsWith('finish:'))).toEqual(['finish:promoted']);
  });

  it('rolls back at once when a metrics query fails in a way retrying cannot fix, under the default metricsUnavailable policy', async () => {
    const run = await launch(
      { schedule: { steps: [{ weight: 10, observe: '1s' }] } },
      ['pass'],
      (c) => {
        c.analysisFailsNonRetryable = true;
      },
    );
    const status = await finish(run);
    expect(status.phase).toBe('RolledBack');
    expect(run.cluster.looks).toHaveLength(1);
    expect(status.decisions.map((d) => [d.decision.decidedBy, d.action])).toEqual([
      ['error:metricsQuery', 'roll back (metrics unavailable)'],
    ]);
    expect(status.outcome).toBe(
      'analysis at step 1 could not get metrics: bad_data: parse error in the error-rate query',
    );
    expect(run.cluster.weightHistory).toEqual([10, 0]);
  });

  it('holds for a person when metrics are unavailable and the metricsUnavailable policy says hold', async () => {
    const run = await launch(
      {
        schedule: { steps: [{ weight: 10, observe: '1s' }] },
        policies: { metricsUnavailable: 'hold' },
      },
      ['pass'],
      (c) => {
        c.analysisFailsNonRetryable = true;
      },
    );
    const held = await waitFor(run.handle, inPhase('AwaitingApproval'));
    expect(held.pendingGate).toMatchObject({
      kind: 'hold',
      step: 1,
      reason: 'metrics unavailable at step 1: bad_data: parse error in the error-rate query',
    });
    expect(held.decisions.map((d) => d.action)).toEqual([
      'hold for a person (metrics unavailable)',
    ]);
    await run.handle.executeUpdate(approveUpdate, { args: [{ actor: 'kim' }] });
    const status = await finish(run);
    expect(status.phase).toBe('Promoted');
  });

  it('proceeds past an unanswered approval gate when approval.onTimeout is proceed', async () => {
    const run = await launch(
      {
        schedule: { steps: [{ weight: 10, observe: '1s' }] },
        policies: {
          approval: { timeout: '2s', onTimeout: 'proceed' },
          promotion: { requireApproval: true },
        },
      },
      ['pass'],
    );
    await waitFor(run.handle, inPhase('AwaitingApproval'));
    const status = await finish(run);
    expect(status.phase).toBe('Promoted');
    expect(status.actions).toHaveLength(0);
    expect(status.timeline.map((e) => e.message)).toContain(
      'no approval within 2s: proceeding (policies.approval.onTimeout = proceed)',
    );
    expect(run.cluster.weightHistory).toEqual([10, 100, 0]);
  });

  it('skips the remaining steps on promote and still goes through promotion', async () => {
    const run = await launch(
      {
        schedule: {
          steps: [
            { weight: 10, observe: '1m' },
            { weight: 50, observe: '1m' },
          ],
        },
      },
      ['pass'],
    );
    await waitFor(run.handle, (s) => s.windowEndsAt !== null);
    await run.handle.executeUpdate(promoteUpdate, { args: [{ actor: 'frank' }] });
    const status = await finish(run);
    expect(status.phase).toBe('Promoted');
    expect(run.cluster.weightHistory).toEqual([10, 100, 0]);
    expect(status.outcome).toBe('promoted v2 early at the request of frank');
  });

  it('rolls back when the workflow is cancelled', async () => {
    const run = await launch({ schedule: { steps: [{ weight: 10, observe: '1m' }] } }, ['pass']);
    await waitFor(run.handle, (s) => s.windowEndsAt !== null);
    await run.handle.cancel();
    const status = await finish(run);
    expect(status.phase).toBe('RolledBack');
    expect(status.outcome).toBe('the release workflow was cancelled');
    expect(run.cluster.weights.canary).toBe(0);
  });

  it('rolls back an abort during a gate without waiting for the gate', async () => {
    const run = await launch(
      { schedule: { steps: [{ weight: 10, observe: '1s', approval: true }] } },
      ['pass'],
    );
    await waitFor(run.handle, inPhase('AwaitingApproval'));
    await run.handle.executeUpdate(abortUpdate, {
      args: [{ actor: 'gina', reason: 'wrong build' }],
    });
    const status = await finish(run);
    expect(status.phase).toBe('RolledBack');
    expect(run.cluster.weightHistory).toEqual([0]);
  });

  it('refuses a second release for a busy service and treats the same release id as a retry', async () => {
    const run = await launch({ schedule: { steps: [{ weight: 10, observe: '1m' }] } }, ['pass']);
    const again = await startRelease(env.client, run.spec, { taskQueue: run.taskQueue });
    expect(again.created).toBe(false);
    const other = { ...run.spec, releaseId: `${run.spec.releaseId}-other` };
    await expect(startRelease(env.client, other, { taskQueue: run.taskQueue })).rejects.toThrow(
      ReleaseConflictError,
    );
    await expect(startRelease(env.client, other, { taskQueue: run.taskQueue })).rejects.toThrow(
      `release ${run.spec.releaseId} is already running for service default/${run.spec.service}`,
    );
    await run.handle.signal(abortSignal, { actor: 'test', reason: 'cleanup' });
    await finish(run);
  });

  it('continues as new when history grows and still finishes the release', async () => {
    const steps = Array.from({ length: 6 }, (_, i) => ({ weight: (i + 1) * 10, observe: '1s' }));
    const run = await launch({ schedule: { steps } }, ['pass'], undefined, 40);
    const status = await finish(run);
    expect(status.phase).toBe('Promoted');
    expect(status.generation).toBeGreaterThan(0);
    expect(status.decisions).toHaveLength(6);
    expect(run.cluster.weightHistory).toEqual([10, 20, 30, 40, 50, 60, 100, 0]);
  });

  it('sets search attributes so releases can be filtered by service and phase', async () => {
    const run = await launch({}, ['fail']);
    await finish(run);
    const query = `CanaryService = "${run.spec.service}" AND CanaryPhase = "RolledBack"`;
    let found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      for await (const info of env.client.workflow.list({ query })) found.push(info.workflowId);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toEqual([run.handle.workflowId]);
  });
});

describe('messages that arrive while an activity runs', () => {
  it('lets a weight write cut short by an abort finish before the rollback, so the rollback has the last word', async () => {
    const run = await launch({}, ['pass'], (c) => {
      c.writeDelayMs[50] = 1500;
    });
    await waitFor(run.handle, (s) => s.decisions.length === 1);
    await new Promise((r) => setTimeout(r, 300)); // the write to 50% is under way
    await run.handle.signal(abortSignal, { actor: 'hana', reason: 'alert fired' });
    const status = await finish(run);
    expect(status.phase).toBe('RolledBack');
    expect(run.cluster.weightHistory).toEqual([10, 50, 0]);
    expect(run.cluster.weights).toEqual({ stable: 100, canary: 0 });
  });

  it('holds a pause accepted during an analysis before the next weight change', async () => {
    const run = await launch({}, ['pass'], (c) => {
      c.analysisDelayMs = 1500;
    });
    await waitFor(run.handle, () => run.cluster.looks.length === 1);
    await run.handle.executeUpdate(pauseUpdate, { args: [{ actor: 'ivan' }] });
    const paused = await waitFor(run.handle, inPhase('Paused'));
    expect(paused.decisions).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(run.cluster.weightHistory).toEqual([10]);
    await run.handle.executeUpdate(resumeUpdate, { args: [{ actor: 'ivan' }] });
    const status = await finish(run);
    expect(status.phase).toBe('Promoted');
    expect(run.cluster.weightHistory).toEqual([10, 50, 100, 0]);
  });
});

describe('durability', () => {
  it('finishes a release correctly after its worker is killed in the middle of a window and another starts', async () => {
    const { inject } = await import('vitest');
    const taskQueue = uniqueTaskQueue('killed');
    const child = await startWorkerProcess(inject('temporalAddress'), taskQueue);
    const spec = testSpec({
      schedule: {
        steps: [
          { weight: 10, observe: '4s' },
          { weight: 30, observe: '1s' },
        ],
      },
    });
    const started = await startRelease(env.client, spec, { taskQueue });
    const handle = env.client.workflow.getHandle<typeof canaryRelease>(started.workflowId);
    await waitFor(handle, (s) => s.step === 1 && s.windowEndsAt !== null);
    await killWorkerProcess(child);

    const cluster = newFakeCluster();
    const worker = await startWorker(env, taskQueue, fakeActivities(cluster, ['pass']));
    const status = await finish({ handle, cluster, worker, done: worker.run(), spec, taskQueue });
    expect(status.phase).toBe('Promoted');
    // the new worker picked up where the history left off: step 1's weight was set by the dead one
    expect(cluster.weightHistory).toEqual([30, 100, 0]);
    expect(status.decisions.map((d) => d.step)).toEqual([1, 2]);
  });
});
