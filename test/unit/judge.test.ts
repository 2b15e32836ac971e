/**
 * The judge's verdicts, end to end through judge(): what fails, what passes, what is
 * inconclusive, and the numbers the decision record carries.
 */
import { describe, expect, it } from 'vitest';
import { judgeConfigSchema } from '../../core/judge/config.js';
import {
  judge,
  JudgeInputError,
  parseJudgeRequest,
  requireJudgeRequest,
  type JudgeRequest,
  type ParsedJudgeRequest,
} from '../../core/judge/index.js';
import { lookAlpha, nominalLevel } from '../../core/judge/spending.js';
import type { BucketCounts } from '../../core/types.js';

interface ArmShape {
  buckets: number;
  requests: number;
  errorRate: number;
  latencyMs: number;
}

/**
 * Deterministic buckets with some bucket-to-bucket variation (a t-test needs variance):
 * errors and latency wiggle around their means with a fixed pattern.
 */
function arm({ buckets, requests, errorRate, latencyMs }: ArmShape, phase = 0): BucketCounts[] {
  return Array.from({ length: buckets }, (_, i) => {
    const errors = Math.round(requests * errorRate * (1 + 0.2 * Math.sin(1.3 * i + phase)));
    const latency = latencyMs + 1.5 * Math.cos(0.7 * i + phase);
    return { requests, errors, latencySumMs: latency * requests, latencyCount: requests };
  });
}

/** A request as sent from outside (config partial). */
function input(
  canary: BucketCounts[],
  baseline: BucketCounts[],
  look = 3,
  plannedLooks = 6,
  config: JudgeRequest['config'] = {},
): JudgeRequest {
  return { look, plannedLooks, buckets: { canary, baseline }, config };
}

/** The same, parsed at the edge as the CLI and the activity do: judge() takes a typed request. */
function request(...args: Parameters<typeof input>): ParsedJudgeRequest {
  return requireJudgeRequest(input(...args));
}

const HEALTHY: ArmShape = { buckets: 15, requests: 1000, errorRate: 0.01, latencyMs: 100 };

describe('judge verdicts', () => {
  it('rolls back when the canary error rate is clearly worse, naming the metric and its numbers', () => {
    const canary = arm({ ...HEALTHY, errorRate: 0.03 });
    const decision = judge(request(canary, arm(HEALTHY, 0.5)));
    expect(decision.verdict).toBe('fail');
    expect(decision.decidedBy).toBe('metric:errorRate');
    expect(decision.explanation).toMatch(
      /^error rate .*3\.0% vs .*1\.0% baseline \(margin \+[\d.]+ pp\), p = [\d.e-]+ < [\d.e-]+: roll back$/,
    );
    const metric = decision.metrics.find((m) => m.metric === 'errorRate');
    expect(metric?.significant).toBe(true);
    expect(metric?.p).toBeLessThan(metric?.alphaThreshold ?? 0);
    expect(metric?.effect).toBeCloseTo(0.02, 3);
  });

  it('passes identical arms with enough data, reporting every metric', () => {
    const buckets = arm(HEALTHY);
    const decision = judge(request(buckets, buckets));
    expect(decision.verdict).toBe('pass');
    expect(decision.decidedBy).toBe('metrics');
    expect(decision.metrics.map((m) => m.metric)).toEqual(['errorRate', 'latencyMean']);
    expect(decision.metrics.every((m) => m.sufficient && !m.significant)).toBe(true);
    expect(decision.explanation).toMatch(
      /^no metric significantly worse: error rate .*; mean latency .*: pass$/,
    );
  });

  it('rolls back a clearly slower canary on mean latency with the t statistic in the record', () => {
    const decision = judge(request(arm({ ...HEALTHY, latencyMs: 115 }), arm(HEALTHY, 0.5)));
    expect(decision.verdict).toBe('fail');
    expect(decision.decidedBy).toBe('metric:latencyMean');
    expect(decision.explanation).toMatch(
      /^mean latency 115\.\d ms vs (99|100)\.\d ms baseline \(margin \+2\.0 ms\), p = .* < .*: roll back$/,
    );
    const latency = decision.metrics[1];
    // Aligned buckets: a paired t-test on the 15 per-bucket differences, df = 15 − 1.
    expect(latency?.test).toBe('paired');
    expect(latency?.t).toBeGreaterThan(10);
    expect(latency?.df).toBe(14);
  });

  it('falls back to Welch when the arms have different numbers of buckets (not aligned) or pairing is off', () => {
    const unaligned = judge(
      request(arm({ ...HEALTHY, latencyMs: 115 }), arm({ ...HEALTHY, buckets: 14 }, 0.5)),
    );
    expect(unaligned.metrics[1]?.test).toBe('welch');
    expect(unaligned.metrics[1]?.df).toBeGreaterThan(20);
    const off = judge(
      request(arm({ ...HEALTHY, latencyMs: 115 }), arm(HEALTHY, 0.5), 3, 6, {
        pairedBuckets: false,
      }),
    );
    expect(off.metrics[1]?.test).toBe('welch');
    expect(off.verdict).toBe('fail');
  });

  it('cancels what hits both arms in the same minute: a shared slowdown does not hide a +5 ms canary', () => {
    // Both arms swing by ±20 ms together; the canary is 5 ms slower in every minute (margin 2 ms).
    const swing = (i: number) => 20 * Math.sin(0.9 * i) + 0.3 * Math.cos(2.1 * i);
    const shaped = (extra: number, phase: number) =>
      Array.from({ length: 15 }, (_, i) => ({
        requests: 1000,
        errors: 10,
        latencyCount: 1000,
        latencySumMs: 1000 * (100 + extra + swing(i) + 0.3 * Math.sin(1.7 * i + phase)),
      }));
    const paired = judge(request(shaped(5, 0), shaped(0, 1)));
    expect(paired.decidedBy).toBe('metric:latencyMean');
    const unpaired = judge(request(shaped(5, 0), shaped(0, 1), 3, 6, { pairedBuckets: false }));
    expect(unpaired.metrics[1]?.p).toBeGreaterThan(0.05);
  });

  it('keeps the decision record plain JSON (no NaN, no Infinity, survives a round trip)', () => {
    const decision = judge(request(arm({ ...HEALTHY, buckets: 1 }), []));
    expect(JSON.parse(JSON.stringify(decision))).toEqual(decision);
    expect(decision.metrics[0]?.baseline.mean).toBeNull();
  });
});

describe('judge with too little data', () => {
  it('is inconclusive, not pass, with two buckets per arm', () => {
    const decision = judge(
      request(arm({ ...HEALTHY, buckets: 2 }), arm({ ...HEALTHY, buckets: 2 })),
    );
    expect(decision.verdict).toBe('inconclusive');
    expect(decision.decidedBy).toBe('gate:minBuckets');
    expect(decision.explanation).toBe(
      'not enough data for error rate: canary has 2 buckets (needs 3): inconclusive',
    );
  });

  it('is inconclusive when an arm has fewer requests than minRequests', () => {
    const small = { ...HEALTHY, buckets: 3, requests: 50, errorRate: 0.04 };
    const decision = judge(request(arm(small), arm(small, 1)));
    expect(decision.verdict).toBe('inconclusive');
    expect(decision.decidedBy).toBe('gate:minRequests');
  });

  it('is inconclusive with no errors in a few hundred requests, where a bad canary could hide', () => {
    const quiet = { ...HEALTHY, buckets: 3, requests: 100, errorRate: 0 };
    const decision = judge(request(arm(quiet), arm(quiet, 1)));
    expect(decision.verdict).toBe('inconclusive');
    expect(decision.decidedBy).toBe('gate:minErrorEvents');
  });

  it('passes with no errors once the canary has enough requests to bound its error rate within the margin', () => {
    const quiet = { ...HEALTHY, buckets: 3, requests: 3000, errorRate: 0 };
    const decision = judge(request(arm(quiet), arm(quiet, 1)));
    expect(decision.verdict).toBe('pass');
    const gate = decision.metrics[0]?.gates.find((g) => g.gate === 'minErrorEvents');
    expect(gate?.met).toBe(true);
    expect(gate?.note).toMatch(/with 95% confidence/);
  });

  it('never passes when an arm has fewer than three buckets or too few requests', () => {
    for (let buckets = 0; buckets <= 2; buckets++) {
      for (const requests of [0, 1, 10, 60, 1000]) {
        const shape = { buckets, requests, errorRate: 0.01, latencyMs: 100 };
        const decision = judge(request(arm(shape), arm({ ...shape, buckets: 5 })));
        expect(decision.verdict, `${buckets} buckets of ${requests}`).not.toBe('pass');
      }
    }
  });
});

describe('judge guards', () => {
  it('fails at once, at the first look, when the canary error rate exceeds the ceiling over enough requests', () => {
    const canary = [
      { requests: 100, errors: 1, latencySumMs: 10_000, latencyCount: 100 },
      { requests: 150, errors: 45, latencySumMs: 15_000, latencyCount: 150 },
    ];
    const decision = judge(request(canary, arm({ ...HEALTHY, buckets: 2 }), 1));
    expect(decision.verdict).toBe('fail');
    expect(decision.decidedBy).toBe('guard:errorRateCeiling');
    expect(decision.explanation).toBe(
      "canary error rate 30.0% over the canary's last 1 bucket (150 requests) exceeds the 10.0% ceiling: roll back",
    );
  });

  it('does not trip on a handful of requests, however bad they look', () => {
    const canary = [{ requests: 20, errors: 10, latencySumMs: 2000, latencyCount: 20 }];
    const decision = judge(request(canary, arm({ ...HEALTHY, buckets: 1 }), 1));
    expect(decision.guards[0]).toMatchObject({
      guard: 'errorRateCeiling',
      enoughVolume: false,
      tripped: false,
      observed: 0.5,
    });
    expect(decision.verdict).toBe('inconclusive');
  });

  it('fails on the latency ceiling when one is configured', () => {
    const decision = judge(
      request(arm({ ...HEALTHY, latencyMs: 700 }), arm(HEALTHY), 1, 6, {
        guards: { maxLatencyMs: 500 },
      }),
    );
    expect(decision.decidedBy).toBe('guard:latencyCeiling');
    expect(decision.explanation).toMatch(
      /^canary mean latency [67]\d\d\.\d ms .* exceeds the 500\.0 ms ceiling: roll back$/,
    );
  });
});

describe('judge alpha: Holm across metrics and spending across looks', () => {
  it("gives the smaller p the boundary of alpha/2 and the larger the boundary of alpha (Holm), above the look's increment", () => {
    const decision = judge(
      request(arm({ ...HEALTHY, errorRate: 0.04, latencyMs: 112 }), arm(HEALTHY, 0.5), 2, 6),
    );
    const input = {
      alpha: 0.01,
      look: 2,
      plannedLooks: 6,
      spending: 'hsd' as const,
      spendingGamma: -2,
      extraLooksShare: 0.05,
      boundaries: 'group-sequential' as const,
      informationExponent: 2,
    };
    const expected = lookAlpha(input);
    expect(decision.alpha).toMatchObject({ spending: 'hsd', boundaries: 'group-sequential' });
    expect(decision.alpha.look).toBeCloseTo(expected.look, 15);
    expect(decision.alpha.nominal).toBeCloseTo(nominalLevel(input, 1), 15);
    const [first, second] = [...decision.metrics].sort((a, b) => (a.p ?? 1) - (b.p ?? 1));
    expect(first?.alphaThreshold).toBeCloseTo(nominalLevel(input, 2), 15);
    expect(second?.alphaThreshold).toBeCloseTo(nominalLevel(input, 1), 15);
    // Correlated looks: the nominal level exceeds what the look spends (union bound: equal).
    expect(first?.alphaThreshold).toBeGreaterThan(expected.look / 2);
    expect(decision.metrics.every((m) => m.significant)).toBe(true);
    const union = judge(
      request(arm({ ...HEALTHY, errorRate: 0.04, latencyMs: 112 }), arm(HEALTHY, 0.5), 2, 6, {
        boundaries: 'union',
      }),
    );
    const sorted = [...union.metrics].sort((a, b) => (a.p ?? 1) - (b.p ?? 1));
    expect(sorted[0]?.alphaThreshold).toBeCloseTo(expected.look / 2, 15);
    expect(sorted[1]?.alphaThreshold).toBeCloseTo(expected.look, 15);
  });

  it('passes a canary whose latency is worse by less than the margin, even at the last look', () => {
    // +1 ms against a 2 ms margin: the margin-shifted test sees no degradation at all.
    const decision = judge(request(arm({ ...HEALTHY, latencyMs: 101 }), arm(HEALTHY, 0.5), 6, 6));
    expect(decision.metrics.every((m) => !m.significant)).toBe(true);
    expect(decision.metrics[1]?.effect).toBeGreaterThan(0.5);
    expect(decision.metrics[1]?.p).toBeGreaterThan(0.5);
    expect(decision.verdict).toBe('pass');
  });

  it('keeps the total alpha of looks beyond plannedLooks (after a hold) within alpha', () => {
    const buckets = arm(HEALTHY);
    let total = 0;
    for (let look = 1; look <= 40; look++) {
      const decision = judge(request(buckets, buckets, look, 4, { alpha: 0.02 }));
      total += decision.alpha.look;
      expect(decision.alpha.spentThrough).toBeLessThan(0.02);
      expect(decision.alpha.look).toBeGreaterThan(0);
    }
    expect(total).toBeLessThan(0.02);
    expect(total).toBeGreaterThan(0.0199);
  });
});

describe('judge count test for sparse errors', () => {
  it('rolls back 5 canary errors against 0 when the canary gets a tenth of the traffic', () => {
    const canary = Array.from({ length: 5 }, (_, i) => ({
      requests: 20,
      errors: i === 4 ? 1 : i % 2 === 0 ? 2 : 0,
      latencySumMs: 2000,
      latencyCount: 20,
    }));
    const baseline = arm({ buckets: 5, requests: 180, errorRate: 0, latencyMs: 100 });
    const decision = judge(request(canary, baseline, 1));
    const metric = decision.metrics[0];
    expect(metric?.test).toBe('count');
    expect(metric?.count).toMatchObject({ canaryErrors: 5, totalErrors: 5 });
    expect(metric?.p).toBeCloseTo((metric?.count?.nullShare ?? 1) ** 5, 15);
    expect(decision.verdict).toBe('fail');
    expect(decision.decidedBy).toBe('metric:errorRate');
    expect(decision.explanation).toMatch(
      /^error rate 5\/100 = 5\.0% vs 0\/900 = 0% baseline .*: roll back$/,
    );
  });

  it('does not roll back 5 errors against 0 on equal traffic, where that is not significant', () => {
    const canary = Array.from({ length: 5 }, () => ({
      requests: 100,
      errors: 1,
      latencySumMs: 10_000,
      latencyCount: 100,
    }));
    const baseline = arm({ buckets: 5, requests: 100, errorRate: 0, latencyMs: 100 });
    const decision = judge(request(canary, baseline, 1));
    expect(decision.metrics[0]?.test).toBe('count');
    expect(decision.metrics[0]?.p).toBeGreaterThan(0.01);
    expect(decision.verdict).not.toBe('fail');
  });

  it('uses a t-test on per-bucket rates once errors are plentiful in both arms (paired when aligned)', () => {
    const busy = { ...HEALTHY, requests: 5000 };
    expect(judge(request(arm(busy), arm(busy, 0.5))).metrics[0]?.test).toBe('paired');
    expect(judge(request(arm(busy), arm({ ...busy, buckets: 14 }, 0.5))).metrics[0]?.test).toBe(
      'welch',
    );
  });
});

describe('judge input', () => {
  it('rejects a request naming the bad field', () => {
    const bad = input([{ requests: 5, errors: 6, latencySumMs: 0, latencyCount: 0 }], [], 0);
    expect(() => requireJudgeRequest(bad)).toThrow(JudgeInputError);
    try {
      requireJudgeRequest(bad);
    } catch (error) {
      expect((error as JudgeInputError).issues).toEqual([
        'look: look must be at least 1',
        'buckets.canary[0].errors: must not exceed requests (6 > 5)',
      ]);
    }
  });

  it('lists the problems of a bad request without throwing when parsed at the edge', () => {
    const parsed = parseJudgeRequest({ ...input([], [], 0), extra: true });
    expect(parsed).toEqual({
      ok: false,
      problems: [
        { path: 'look', message: 'look must be at least 1' },
        { path: 'extra', message: 'is not a known field' },
      ],
    });
  });

  it('has a default configuration for an empty spec, with the documented defaults', () => {
    const config = judgeConfigSchema.parse({});
    expect(config).toMatchObject({
      alpha: 0.01,
      spending: 'hsd',
      spendingGamma: -2,
      boundaries: 'group-sequential',
      informationExponent: 2,
      pairedBuckets: true,
      errorRate: { enabled: true, relativeMargin: 0.05, absoluteMargin: 0.0005, test: 'auto' },
      latencyMean: { enabled: true, relativeMargin: 0.02, absoluteMarginMs: 2 },
      latencyQuantile: { enabled: false },
      gates: { minBuckets: 3, minRequests: 200, minErrorEvents: 5 },
      guards: { maxErrorRate: 0.1, maxLatencyMs: null, minRequests: 100 },
    });
  });

  it('refuses a configuration with every metric disabled', () => {
    const result = judgeConfigSchema.safeParse({
      errorRate: { enabled: false },
      latencyMean: { enabled: false },
    });
    expect(result.success).toBe(false);
  });

  it('compares the latency quantile when enabled and the buckets carry it', () => {
    const withQuantile = (buckets: BucketCounts[], p99: number) =>
      buckets.map((b, i) => ({ ...b, latencyQuantileMs: p99 + (i % 3) }));
    const decision = judge(
      request(withQuantile(arm(HEALTHY), 400), withQuantile(arm(HEALTHY, 0.5), 250), 3, 6, {
        latencyQuantile: { enabled: true },
      }),
    );
    expect(decision.metrics.map((m) => m.metric)).toEqual([
      'errorRate',
      'latencyMean',
      'latencyQuantile',
    ]);
    expect(decision.decidedBy).toBe('metric:latencyQuantile');
  });
});

describe('explanations of extrapolated counts', () => {
  it('rounds the fractional counts Prometheus increase() returns instead of printing raw floats', () => {
    const bucket = (requests: number, errors: number): BucketCounts => ({
      requests,
      errors,
      latencySumMs: requests * 100,
      latencyCount: requests,
    });
    const canary = Array.from({ length: 10 }, () => bucket(82.37037037, 3.85185185));
    const baseline = Array.from({ length: 10 }, () => bucket(238.37037037, 2.51851851));
    const decision = judge(request(canary, baseline, 1, 2));
    expect(decision.verdict).toBe('fail');
    expect(decision.explanation).toMatch(
      /error rate 38\.5\/823\.7 = 4\.\d+% vs 25\.2\/2383\.7 = 1\.\d+% baseline/,
    );
  });
});
