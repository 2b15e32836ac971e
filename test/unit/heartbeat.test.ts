/**
 * Long waits inside activities (activities/heartbeat.ts, activities/workloads/rollout.ts): they
 * heartbeat every second, end within a second of the activity's cancellation even between slow
 * polls, and leave no listeners behind on the cancellation signal.
 */
import { getEventListeners } from 'node:events';
import type { V1Deployment } from '@kubernetes/client-node';
import { CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { heartbeating, sleepUnlessCancelled } from '../../activities/heartbeat.js';
import { KINDS, objectRef } from '../../activities/kube/objects.js';
import { WorkloadError } from '../../activities/workloads/errors.js';
import { waitForRollout, type RolloutWait } from '../../activities/workloads/rollout.js';

/** A Deployment whose one replica never becomes available. */
const neverReady = (): V1Deployment => ({
  metadata: { name: 'web-canary', namespace: 'default', generation: 2 },
  spec: { replicas: 1 } as V1Deployment['spec'],
  status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 0 },
});

function rolloutWait(pollMs: number, reads: { count: number }): RolloutWait {
  return {
    ref: objectRef(KINDS.deployment, 'default', 'web-canary'),
    read: async () => {
      reads.count += 1;
      return neverReady();
    },
    progress: () => undefined,
    Failure: WorkloadError,
    timeoutMs: 60_000,
    timeoutText: '1m',
    pollMs,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a rollout wait in a cancelled activity', () => {
  it('ends within a second of the cancellation, although its next poll is 10 s away', async () => {
    const env = new MockActivityEnvironment();
    const reads = { count: 0 };
    const outcome = env
      .run(() => waitForRollout(rolloutWait(10_000, reads)))
      .then(
        () => 'finished',
        (error: unknown) => error,
      );
    await sleep(200);
    const cancelledAt = Date.now();
    env.cancel();
    const error = await outcome;
    expect(Date.now() - cancelledAt).toBeLessThan(1000);
    expect(error).toBeInstanceOf(CancelledFailure);
    expect(reads.count).toBe(1);
  });

  it('adds no abort listener per poll', async () => {
    const env = new MockActivityEnvironment();
    const signal = env.context.cancellationSignal;
    const before = getEventListeners(signal, 'abort').length;
    const reads = { count: 0 };
    const outcome = env
      .run(() => waitForRollout(rolloutWait(10, reads)))
      .catch((error: unknown) => error);
    await sleep(300);
    expect(reads.count).toBeGreaterThan(10);
    expect(getEventListeners(signal, 'abort').length).toBe(before);
    env.cancel();
    expect(await outcome).toBeInstanceOf(CancelledFailure);
  });

  it('waits as before outside an activity, and fails at its deadline with the replica counts', async () => {
    const reads = { count: 0 };
    const wait = { ...rolloutWait(20, reads), timeoutMs: 100, timeoutText: '100ms' };
    await expect(waitForRollout(wait)).rejects.toThrow(
      'default/Deployment/web-canary was not ready within 100ms: 1/1 replicas updated, 0/1 available, 1 in total',
    );
  });
});

describe('heartbeats while an activity runs', () => {
  it('heartbeats at once and then every second until the work is done', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const result = await env.run(() => heartbeating(() => sleep(2300).then(() => 'done')));
    expect(result).toBe('done');
    expect(beats.length).toBe(3);
  });

  it('a sleep rejects with the cancellation at once and removes its listener when it ends', async () => {
    const controller = new AbortController();
    await sleepUnlessCancelled(10, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const pending = sleepUnlessCancelled(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
