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
import { bakeSchedule, compareBakeLook, judgeBakeLook } from '../../core/bake.js';
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

describe('the comparison with the previous version during the bake', () => {
  const config = testSpec().analysis.judge;

  it('breaches when the new version errs three times as often as the previous one did, naming it', () => {
    const current = Array.from({ length: 6 }, () => bucket(2_000, 60));
    const previous = Array.from({ length: 6 }, () => bucket(2_000, 20));
    const compared = compareBakeLook({
      current,
      previous,
      look: 1,
      looks: 5,
      previousVersion: 'v1',
      config,
    });
    expect(compared.breach).toMatch(/^against v1 before promotion: error rate .*: roll back$/);
    expect(compared.decision.alpha?.boundaries).toBe('union');
  });

  it('passes when both versions err alike, saying what it compared', () => {
    const current = Array.from({ length: 6 }, () => bucket(2_000, 20));
    const previous = Array.from({ length: 6 }, () => bucket(2_000, 21));
    const compared = compareBakeLook({
      current,
      previous,
      look: 3,
      looks: 5,
      previousVersion: 'v1',
      config,
    });
    expect(compared.breach).toBeNull();
    expect(compared.summary).toMatch(/^against v1 before promotion: no metric significantly worse/);
  });

  it('undoes at most alpha of healthy bakes over ten looks (simulated, equal Poisson error rates)', () => {
    // a seeded generator: the rate is a property of the method, not of one lucky run
    let seed = 12345;
    const uniform = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const poisson = (mean: number) => {
      let k = 0;
      let p = Math.exp(-mean);
      let sum = p;
      const u = uniform();
      while (u > sum) {
        k += 1;
        p *= mean / k;
        sum += p;
      }
      return k;
    };
    const buckets = () => Array.from({ length: 4 }, () => bucket(1_000, poisson(10)));
    const bakes = 600;
    let undone = 0;
    for (let b = 0; b < bakes; b += 1) {
      const previous = buckets();
      for (let look = 1; look <= 10; look += 1) {
        const compared = compareBakeLook({
          current: buckets(),
          previous,
          look,
          looks: 10,
          previousVersion: 'v1',
          config,
        });
        if (compared.breach) {
          undone += 1;
          break;
        }
      }
    }
    // alpha is 1%; 600 bakes put a true 1% below 2.5% with >99% probability
    expect(undone / bakes).toBeLessThan(0.025);
  });
});

describe('the bake activity comparing with the previous version', () => {
  const recording = (asked: BucketRange[], previousErrors: number): MetricsProvider => ({
    name: 'fake',
    async fetchBuckets(_target, range) {
      asked.push(range);
      const before = asked.length > 1;
      return {
        bucketMs: range.bucketMs,
        timestamps: [1, 2, 3, 4].map((i) => range.startMs + i * range.bucketMs),
        canary: before ? [null, null, null, null] : [1, 2, 3, 4].map(() => bucket(2_000, 60)),
        baseline: before
          ? [1, 2, 3, 4].map(() => bucket(2_000, previousErrors))
          : [null, null, null, null],
      };
    },
    async isOnline() {},
  });
  const activitiesWith = (metrics: MetricsProvider) =>
    createActivities({
      routerFor: unused,
      workloadsFor: unused,
      metricsFor: () => metrics,
      scrapeLagMs: () => 0,
    });
  const toMs = 1_700_000_010_000;
  const previousUntilMs = toMs - 60_000;

  it("reads the previous version's buckets over an equally long window ending when promotion began", async () => {
    const asked: BucketRange[] = [];
    const result = await activitiesWith(recording(asked, 20)).checkBake({
      spec: testSpec(),
      look: 1,
      looks: 3,
      toMs,
      lookMs: 3_000,
      previousUntilMs,
    });
    expect(asked).toEqual([
      { startMs: toMs - 4_000, endMs: toMs, bucketMs: 1_000 },
      { startMs: previousUntilMs - 4_000, endMs: previousUntilMs, bucketMs: 1_000 },
    ]);
    expect(result.breach).toMatch(/^against v1 before promotion: error rate/);
  });

  it('compares nothing with bakeComparison guardsOnly, or in a run recorded before the comparison', async () => {
    const asked: BucketRange[] = [];
    const activities = activitiesWith(recording(asked, 20));
    const guardsOnly = testSpec({ policies: { promotion: { bakeComparison: 'guardsOnly' } } });
    const one = await activities.checkBake({
      spec: guardsOnly,
      look: 1,
      looks: 3,
      toMs,
      lookMs: 3_000,
      previousUntilMs,
    });
    const old = await activities.checkBake({
      spec: testSpec(),
      look: 1,
      looks: 3,
      toMs,
      lookMs: 3_000,
    });
    expect(asked).toHaveLength(2);
    expect(one.breach).toBeNull();
    expect(old.breach).toBeNull();
    expect(one.comparison).toBeUndefined();
  });
});
