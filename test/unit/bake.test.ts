/**
 * The bake after promotion (policies.promotion.bake): how often it looks, what a look concludes
 * from the absolute guards, what the bake activity asks the metrics provider, and the spec rules.
 */
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/release-activities.js';
import type {
  MetricsProvider,
  MetricsTarget,
  BucketRange,
} from '../../activities/metrics/types.js';
import { bakeSchedule, judgeBakeLook } from '../../core/bake.js';
import { planRelease } from '../../core/plan.js';
import { validateReleaseSpec } from '../../core/spec.js';
import type { BucketCounts } from '../../core/types.js';
import { testSpec, testSpecBody } from '../harness/release-spec.js';

const bucket = (requests: number, errors: number, latencyMs = 50): BucketCounts => ({
  requests,
  errors,
  latencySumMs: requests * latencyMs,
  latencyCount: requests,
});
const guards = { maxErrorRate: 0.1, maxLatencyMs: 500, minRequests: 100 };
const unused = () => {
  throw new Error('not used by the bake');
};

describe('the bake schedule', () => {
  it('looks ten times over a long bake and once per bucket over a short one', () => {
    expect(bakeSchedule(10 * 60_000, 60_000)).toEqual({ lookMs: 60_000, looks: 10 });
    expect(bakeSchedule(60 * 60_000, 60_000)).toEqual({ lookMs: 360_000, looks: 10 });
    expect(bakeSchedule(3_000, 1_000)).toEqual({ lookMs: 1_000, looks: 3 });
    expect(bakeSchedule(90_000, 60_000)).toEqual({ lookMs: 60_000, looks: 2 });
  });

  it('is part of the plan in milliseconds, and absent without policies.promotion.bake', () => {
    expect(planRelease(testSpec()).bakeMs).toBeNull();
    expect(planRelease(testSpec({ policies: { promotion: { bake: '10m' } } })).bakeMs).toBe(
      600_000,
    );
  });

  it('refuses a bake shorter than one analysis bucket, naming the field', () => {
    const result = validateReleaseSpec(
      testSpecBody({ analysis: { bucket: '1m' }, policies: { promotion: { bake: '30s' } } }),
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toContainEqual({
      path: 'policies.promotion.bake',
      message: 'must be at least one analysis bucket (1m)',
    });
  });
});

describe('one look at the baking version', () => {
  it('finds a breach of the error-rate ceiling with its numbers', () => {
    const finding = judgeBakeLook([bucket(200, 2), null, bucket(200, 62), bucket(200, 62)], guards);
    expect(finding.breach).toBe(
      "canary error rate 31.0% over the canary's last 1 bucket (200 requests) exceeds the 10.0% ceiling: roll back",
    );
  });

  it('says the numbers are within the guards when they are', () => {
    const finding = judgeBakeLook([bucket(300, 0), bucket(300, 3)], guards);
    expect(finding.breach).toBeNull();
    expect(finding.summary).toBe(
      'within the guards: error rate 1.0% ≤ 10.0% (300 requests), mean latency 50.0 ms ≤ 500.0 ms (300 observations)',
    );
  });

  it('never breaches on too little traffic, and says so', () => {
    const finding = judgeBakeLook([bucket(20, 20)], guards);
    expect(finding.breach).toBeNull();
    expect(finding.summary).toMatch(/^not enough traffic to judge \(guards need 100\): /);
  });
});

describe('the bake activity', () => {
  it('asks for the new version as the canary arm over the look plus one bucket, and judges it', async () => {
    const asked: { target: MetricsTarget; range: BucketRange }[] = [];
    const metrics: MetricsProvider = {
      name: 'fake',
      async fetchBuckets(target, range) {
        asked.push({ target, range });
        return {
          bucketMs: range.bucketMs,
          timestamps: [range.endMs - 1000, range.endMs],
          canary: [bucket(100, 40), bucket(100, 40)],
          baseline: [null, null],
        };
      },
      async isOnline() {},
    };
    const activities = createActivities({
      routerFor: unused,
      workloadsFor: unused,
      metricsFor: () => metrics,
      scrapeLagMs: () => 0,
    });
    const spec = testSpec();
    const toMs = 1_700_000_010_000;
    const result = await activities.checkBake({ spec, look: 2, looks: 3, toMs, lookMs: 3_000 });
    expect(asked[0]?.target).toMatchObject({ canaryVersion: 'v2', service: spec.service });
    expect(asked[0]?.range).toEqual({ startMs: toMs - 4_000, endMs: toMs, bucketMs: 1_000 });
    expect(result).toMatchObject({ look: 2, looks: 3 });
    expect(result.breach).toContain('canary error rate 40.0%');
  });
});
