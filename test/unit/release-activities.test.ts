/**
 * The release activities with typed fake providers: what they ask of routers, workloads and
 * metrics, and how "no data" and the judge's verdicts come back.
 */
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/release-activities.js';
import type { MetricsProvider } from '../../activities/metrics/types.js';
import type { TrafficRouter } from '../../activities/routers/types.js';
import type { WorkloadManager } from '../../activities/workloads/types.js';
import type { BucketCounts, Weights } from '../../core/types.js';
import { testSpec } from '../harness/release-spec.js';

function fakes(series: { canary: (BucketCounts | null)[]; baseline: (BucketCounts | null)[] }) {
  const calls: string[] = [];
  let weights: Weights = { stable: 100, canary: 0 };
  const router: TrafficRouter = {
    target: 'fake/router',
    async initialize() {
      calls.push('router.initialize');
    },
    async getWeights() {
      return weights;
    },
    async setWeights(w) {
      calls.push(`router.set:${w.canary}`);
      weights = w;
      return w;
    },
    async finalize() {
      calls.push('router.finalize');
      weights = { stable: 100, canary: 0 };
      return weights;
    },
  };
  const workloads: WorkloadManager = {
    async prepareCanary() {
      calls.push('workloads.prepare');
    },
    async scaleForWeight(w) {
      calls.push(`workloads.scale:${w}`);
    },
    async promoteStable() {
      calls.push('workloads.promote');
    },
    async scaleDownCanary() {
      calls.push('workloads.down');
    },
    async snapshotStable() {
      return { image: 'v1' };
    },
    async restoreStable() {
      calls.push('workloads.restore');
    },
  };
  const metrics: MetricsProvider = {
    name: 'fake',
    async fetchBuckets(_t, range) {
      const n = series.canary.length;
      return {
        bucketMs: range.bucketMs,
        timestamps: Array.from({ length: n }, (_, i) => range.startMs + (i + 1) * range.bucketMs),
        ...series,
      };
    },
    async isOnline() {},
  };
  const activities = createActivities({
    routerFor: () => router,
    workloadsFor: () => workloads,
    metricsFor: () => metrics,
    scrapeLagMs: () => 0,
  });
  return { activities, calls };
}

const bucket = (requests: number, errors: number, latencyMs = 100): BucketCounts => ({
  requests,
  errors,
  latencySumMs: requests * latencyMs,
  latencyCount: requests,
});

describe('the release activities', () => {
  it('scales the canary up before sending it more traffic, and down only after traffic has left', async () => {
    const { activities, calls } = fakes({ canary: [], baseline: [] });
    const spec = testSpec();
    await activities.setCanaryWeight(spec, 30);
    await activities.setCanaryWeight(spec, 10);
    expect(calls).toEqual([
      'workloads.scale:30',
      'router.set:30',
      'router.set:10',
      'workloads.scale:10',
    ]);
  });

  it('finishes a release by resetting routing first and scaling the canary down after', async () => {
    const { activities, calls } = fakes({ canary: [], baseline: [] });
    expect(await activities.finishRelease(testSpec(), 'rolledBack')).toEqual({
      stable: 100,
      canary: 0,
    });
    expect(calls).toEqual(['router.finalize', 'workloads.down']);
  });

  it('reports a window without data in both arms as inconclusive, saying what was missing', async () => {
    const { activities } = fakes({
      canary: [null, null, null],
      baseline: [bucket(100, 1), bucket(100, 1), bucket(100, 1)],
    });
    const result = await activities.analyseCanary({
      spec: testSpec(),
      step: 1,
      look: 1,
      plannedLooks: 4,
      fromMs: 0,
      toMs: 3000,
    });
    expect(result.decision.verdict).toBe('inconclusive');
    expect(result.decision.decidedBy).toBe('gate:noData');
    expect(result.decision.explanation).toBe(
      'no data: no bucket has data for both arms (canary 0/3, baseline 3/3)',
    );
    expect(result.missingBuckets).toBe(3);
  });

  it('rolls back a canary whose error rate is far above the baseline, with the judge explaining why', async () => {
    const n = 20;
    const { activities } = fakes({
      canary: Array.from({ length: n }, () => bucket(500, 40)),
      baseline: Array.from({ length: n }, () => bucket(500, 5)),
    });
    const result = await activities.analyseCanary({
      spec: testSpec(),
      step: 1,
      look: 1,
      plannedLooks: 2,
      fromMs: 0,
      toMs: n * 1000,
    });
    expect(result.decision.verdict).toBe('fail');
    expect(result.bucketsUsed).toBe(n);
    expect(result.decision.explanation).toMatch(/error rate/);
  });
});
