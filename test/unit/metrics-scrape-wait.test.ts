/**
 * The analysis activity's wait for the last scrapes: it heartbeats without piling up listeners on
 * the cancellation signal, and a cancellation (an abort) ends it at once.
 */
import { getEventListeners } from 'node:events';
import { CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MetricsProvider } from '../../activities/metrics/types.js';
import { createActivities } from '../../activities/release-activities.js';
import { testSpec } from '../harness/release-spec.js';

const unused = () => {
  throw new Error('not used by the analysis');
};

function analysing(fetched: string[]) {
  const provider = {
    fetchBuckets: async () => {
      fetched.push('fetch');
      return { timestamps: [], canary: [], baseline: [] };
    },
  } as unknown as MetricsProvider;
  return createActivities({
    routerFor: unused,
    workloadsFor: unused,
    metricsFor: () => provider,
    scrapeLagMs: () => 60_000,
  });
}

describe('waiting for scrapes before an analysis', () => {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('adds no abort listener per heartbeat and stops at once when the activity is cancelled', async () => {
    const env = new MockActivityEnvironment();
    const signal = env.context.cancellationSignal;
    const before = getEventListeners(signal, 'abort').length;
    const fetched: string[] = [];
    const spec = testSpec();
    const running = env.run(analysing(fetched).analyseCanary, {
      spec,
      step: 1,
      look: 1,
      plannedLooks: 2,
      fromMs: Date.now() - 10_000,
      toMs: Date.now(),
    });
    const outcome = running.then(
      () => 'finished',
      (error: unknown) => error,
    );
    // 40 s of a 60 s wait: twenty passes of the heartbeat loop
    await vi.advanceTimersByTimeAsync(40_000);
    expect(getEventListeners(signal, 'abort').length).toBe(before);
    env.cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(await outcome).toBeInstanceOf(CancelledFailure);
    expect(fetched).toEqual([]);
  });
});
