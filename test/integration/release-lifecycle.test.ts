/**
 * How a release ends beyond promote and roll back, on the real Temporal dev server with fake
 * activities: a pre-flight refusal (Rejected, the workflow completes), a rollback that keeps
 * failing (RollbackRetrying until it succeeds, continues as new, is retried now or abandoned), and
 * the bake after promotion (a breach or a person's rollback restores the previous stable).
 */
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  abandonUpdate,
  abortUpdate,
  rollbackUpdate,
  statusQuery,
} from '../../workflows/messages.js';
import type { RollbackTiming } from '../../workflows/activity-proxies.js';
import { finishRelease, inPhase, launchRelease, waitForStatus } from '../harness/release-run.js';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal.js';
import { fakeActivities, newFakeCluster } from '../harness/fake-activities.js';
import { testSpec } from '../harness/release-spec.js';
import { killWorkerProcess, startWorker, startWorkerProcess } from '../harness/workflow-worker.js';
import { startRelease } from '../../client/releases.js';
import type { canaryRelease } from '../../workflows/release.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await connectTestEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const oneStep = { schedule: { steps: [{ weight: 20, observe: '1s' }] } };
/** One attempt per round and short waits between rounds, so a test sees several rounds. */
const quickRounds = (firstBackoffMs: number, maxBackoffMs = firstBackoffMs): RollbackTiming => ({
  firstBackoffMs,
  maxBackoffMs,
  fastAttempts: 1,
  fastMaxIntervalMs: 100,
});

describe('a release the pre-flight refuses', () => {
  it('ends Rejected with the refusal as its outcome, completes its workflow and changes nothing', async () => {
    const refusal =
      'pre-flight: default/Deployment/web-canary does not exist; default/VirtualService/wbe does not exist';
    const run = await launchRelease(env, oneStep, ['pass'], {
      tune: (c) => {
        c.preflightRefusal = refusal;
      },
    });
    // the workflow completes (it returns the status): a rejected release blocks nothing
    const result = await run.handle.result();
    const status = await finishRelease(run);
    expect(result.phase).toBe('Rejected');
    expect(status.phase).toBe('Rejected');
    expect(status.outcome).toBe(`refused before any change: ${refusal}`);
    expect(status.finishedAt).not.toBeNull();
    expect(run.cluster.calls).toEqual(['prepare']);
    expect(run.cluster.weightHistory).toEqual([]);
    expect(status.timeline.map((e) => e.phase).filter(Boolean)).toEqual(['Pending', 'Rejected']);
  });
});

describe('a rollback that keeps failing', () => {
  it('retries in phase RollbackRetrying with the last error until a round succeeds, then ends RolledBack', async () => {
    const run = await launchRelease(env, oneStep, ['fail'], {
      tune: (c) => {
        c.failRollbacks = 3;
      },
      rollbackTiming: quickRounds(300, 600),
    });
    const retrying = await waitForStatus(run.handle, inPhase('RollbackRetrying'));
    expect(retrying.rollbackRetry).toMatchObject({ attempts: 1 });
    expect(retrying.rollbackRetry?.lastError).toContain('the fake API server is down');
    expect(retrying.rollbackRetry?.nextAttemptAt).not.toBeNull();
    const status = await finishRelease(run);
    expect(status.phase).toBe('RolledBack');
    expect(status.outcome).toContain('analysis failed at step 1');
    expect(run.cluster.rollbackAttempts).toBe(4);
    expect(status.rollbackRetry).toMatchObject({ attempts: 3, nextAttemptAt: null });
    expect(status.weights).toEqual({ stable: 100, canary: 0 });
    const failures = status.timeline.filter((e) => /^rollback attempt \d failed/.test(e.message));
    expect(failures.map((e) => e.message.slice(0, 26))).toEqual([
      'rollback attempt 1 failed:',
      'rollback attempt 2 failed:',
      'rollback attempt 3 failed:',
    ]);
    expect(status.timeline.at(-1)?.message).toMatch(/^rolled back after 4 attempts: /);
  });

  it('continues as new while it retries and carries the count of failed rounds', async () => {
    const run = await launchRelease(env, oneStep, ['fail'], {
      tune: (c) => {
        c.failRollbacks = 6;
      },
      rollbackTiming: quickRounds(100),
      historyLimit: 45,
    });
    const status = await finishRelease(run);
    expect(status.phase).toBe('RolledBack');
    expect(status.generation).toBeGreaterThanOrEqual(1);
    const messages = status.timeline.map((e) => e.message);
    const firstFailure = messages.findIndex((m) => m.startsWith('rollback attempt 1 failed'));
    const lastContinue = messages.findLastIndex((m) => m.startsWith('continuing as new'));
    expect(firstFailure).toBeGreaterThanOrEqual(0);
    expect(lastContinue).toBeGreaterThan(firstFailure);
    expect(status.rollbackRetry?.attempts).toBe(6);
    expect(run.cluster.rollbackAttempts).toBe(7);
  });

  it('retries at once when a person aborts while it waits for the next round', async () => {
    const run = await launchRelease(env, oneStep, ['fail'], {
      tune: (c) => {
        c.failRollbacks = 1;
      },
      rollbackTiming: quickRounds(10 * 60_000),
    });
    await waitForStatus(run.handle, inPhase('RollbackRetrying'));
    const sentAt = Date.now();
    await run.handle.executeUpdate(abortUpdate, {
      args: [{ actor: 'frank', reason: 'the API server is back' }],
    });
    const status = await finishRelease(run);
    expect(status.phase).toBe('RolledBack');
    expect(run.cluster.lastRestoredAt! - sentAt).toBeLessThan(3000);
    expect(status.actions.at(-1)).toMatchObject({ action: 'abort', actor: 'frank' });
    expect(status.timeline.some((e) => e.message.startsWith('rollback retried now'))).toBe(true);
  });

  it('ends Failed, naming who abandoned it and canary repair, when a person abandons it', async () => {
    const run = await launchRelease(env, oneStep, ['fail'], {
      tune: (c) => {
        c.failRollbacks = 1000;
      },
      rollbackTiming: quickRounds(10 * 60_000),
    });
    await waitForStatus(run.handle, inPhase('RollbackRetrying'));
    await run.handle.executeUpdate(abandonUpdate, {
      args: [{ actor: 'dave', comment: 'fixing RBAC by hand' }],
    });
    await expect(run.handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const status = await finishRelease(run);
    expect(status.phase).toBe('Failed');
    expect(status.outcome).toContain(
      'rollback abandoned by dave (fixing RBAC by hand) after 1 failed attempts',
    );
    expect(status.outcome).toContain(`run canary repair default/${run.spec.service}`);
  });
});

describe('the bake after promotion', () => {
  const baking = (bake: string) => ({
    ...oneStep,
    policies: { promotion: { bake } },
  });

  it('looks at the guards every max(bucket, bake/10) and ends Promoted when none is breached', async () => {
    const run = await launchRelease(env, baking('3s'), ['pass']);
    const during = await waitForStatus(run.handle, inPhase('Baking'));
    expect(during.bake).toMatchObject({ looks: 3 });
    expect(during.weights).toEqual({ stable: 100, canary: 0 });
    const status = await finishRelease(run);
    expect(status.phase).toBe('Promoted');
    expect(status.outcome).toBe(
      'promoted v2: every step passed analysis; no breach in the 3s bake',
    );
    expect(run.cluster.bakeLooks.map((l) => [l.look, l.looks, l.lookMs])).toEqual([
      [1, 3, 1000],
      [2, 3, 1000],
      [3, 3, 1000],
    ]);
    // every look compares with the previous version up to when promotion began
    const promotedAt = Date.parse(
      status.timeline.find((e) => e.phase === 'Promoting')?.at ?? 'missing',
    );
    for (const look of run.cluster.bakeLooks) {
      expect(look.previousUntilMs).toBeGreaterThan(promotedAt - 1_000);
      expect(look.previousUntilMs).toBeLessThanOrEqual(promotedAt);
    }
    expect(status.bake).toMatchObject({ looks: 3, looksDone: 3 });
    expect(run.cluster.calls).not.toContain('restore');
    expect(run.cluster.stableVersion).toBe('v2');
  });

  it('restores the pre-promotion stable and ends RolledBack with the numbers when a guard is breached', async () => {
    const run = await launchRelease(env, baking('3s'), ['pass'], {
      tune: (c) => {
        c.bakeBreachAtLook = 2;
      },
    });
    const status = await finishRelease(run);
    expect(status.phase).toBe('RolledBack');
    expect(status.outcome).toBe(
      "bake look 2/3 of v2: canary error rate 31.0% over the canary's last 2 buckets (400 requests) exceeds the 10.0% ceiling: roll back",
    );
    expect(run.cluster.bakeLooks).toHaveLength(2);
    expect(run.cluster.calls.slice(-3)).toEqual([
      'finish:promoted',
      'restore',
      'finish:rolledBack',
    ]);
    expect(run.cluster.stableVersion).toBe('v1');
  });

  it('restores the previous version at once when a person asks for a rollback during the bake', async () => {
    const run = await launchRelease(env, baking('1m'), ['pass']);
    const before = await run.handle.query(statusQuery);
    expect(before.phase).not.toBe('Baking');
    await expect(
      run.handle.executeUpdate(rollbackUpdate, { args: [{ actor: 'erin' }] }),
    ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await waitForStatus(run.handle, inPhase('Baking'));
    const sentAt = Date.now();
    await run.handle.executeUpdate(rollbackUpdate, {
      args: [{ actor: 'erin', comment: 'checkout errors in the logs' }],
    });
    const status = await finishRelease(run);
    expect(Date.now() - sentAt).toBeLessThan(5000);
    expect(status.phase).toBe('RolledBack');
    expect(status.outcome).toBe(
      'rollback of the promotion requested by erin during the bake: checkout errors in the logs',
    );
    expect(run.cluster.stableVersion).toBe('v1');
    expect(status.actions.map((a) => `${a.action}:${a.actor}`)).toEqual(['rollback:erin']);
  });

  it('treats an abort during the bake as a rollback of the promotion', async () => {
    const run = await launchRelease(env, baking('1m'), ['pass']);
    await waitForStatus(run.handle, inPhase('Baking'));
    await run.handle.executeUpdate(abortUpdate, {
      args: [{ actor: 'gina', reason: 'pager' }],
    });
    const status = await finishRelease(run);
    expect(status.phase).toBe('RolledBack');
    expect(status.outcome).toBe('aborted by gina: pager');
    expect(run.cluster.stableVersion).toBe('v1');
  });
});

describe('a worker lost during a weight write', () => {
  it('has the write retried on another worker within 30 s (heartbeat timeout), and the release goes on', async () => {
    const taskQueue = uniqueTaskQueue('lost-worker');
    // the first worker's write to 30% takes a minute: it is killed in the middle of it
    const child = await startWorkerProcess(inject('temporalAddress'), taskQueue, {
      writeDelayMs: { 30: 60_000 },
    });
    const spec = testSpec({ schedule: { steps: [{ weight: 30, observe: '1s' }] } });
    const started = await startRelease(env.client, spec, { taskQueue });
    const handle = env.client.workflow.getHandle<typeof canaryRelease>(started.workflowId);
    await waitForStatus(handle, (s) => s.step === 1);
    await new Promise((r) => setTimeout(r, 1000)); // the write is under way
    const cluster = newFakeCluster();
    const worker = await startWorker(env, taskQueue, fakeActivities(cluster, ['pass']));
    const done = worker.run();
    await killWorkerProcess(child);
    const killedAt = Date.now();
    const status = await finishRelease({ handle, cluster, worker, done, spec, taskQueue });
    const retriedAfterMs = (cluster.firstWriteAt ?? Infinity) - killedAt;
    console.log(
      `worker killed during a weight write: retried on another worker after ${retriedAfterMs} ms`,
    );
    expect(retriedAfterMs).toBeLessThan(30_000);
    expect(status.phase).toBe('Promoted');
    expect(cluster.weightHistory).toEqual([30, 100, 0]);
  }, 60_000);
});
