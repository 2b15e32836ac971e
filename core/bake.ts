/**
 * The bake after a promotion (`policies.promotion.bake`): how often the release looks at the new
 * version while it bakes, and what one look concludes. A look applies the judge's absolute guards
 * (core/judge/guards.ts: error-rate and latency ceilings, only with enough volume) to the new
 * version's most recent buckets; then, with `bakeComparison: previousVersion` (the default), it
 * compares them with the previous version's buckets from just before promotion — after promotion
 * the new version carries all traffic, so the only baseline left is the one in time before it.
 * The comparison is the judge's (core/judge/index.ts) with the union bound over the bake's looks,
 * so a healthy bake is undone by it with probability at most `analysis.judge.alpha`, whatever the
 * looks' correlation. Pure and workflow-safe.
 */
import type { JudgeConfig } from './judge/config.js';
import type { GuardRecord, JudgeDecision } from './judge/decision.js';
import { explainGuard, formatMs, formatPercent } from './judge/explain.js';
import { evaluateGuards } from './judge/guards.js';
import { judge } from './judge/index.js';
import type { BucketCounts } from './types.js';

/** At most this many looks per bake: each covers max(bucket, bake / BAKE_LOOKS). */
export const BAKE_LOOKS = 10;

/** How long one look covers and how many looks the bake makes (the last one at its end). */
export function bakeSchedule(bakeMs: number, bucketMs: number): { lookMs: number; looks: number } {
  const lookMs = Math.max(bucketMs, Math.ceil(bakeMs / BAKE_LOOKS));
  return { lookMs, looks: Math.max(1, Math.ceil(bakeMs / lookMs)) };
}

/** What one look at the baking version found. */
export interface BakeFinding {
  guards: GuardRecord[];
  /** Why the bake must be undone ("canary error rate 31% … exceeds the 10% ceiling"), or null. */
  breach: string | null;
  /** One line for the timeline: the numbers, or why they were not enough to judge. */
  summary: string;
  /** The comparison with the previous version, when the look made one. */
  comparison?: JudgeDecision;
}

/** Applies the absolute guards to the new version's buckets (oldest first; null: no data). */
export function judgeBakeLook(
  buckets: readonly (BucketCounts | null)[],
  guards: JudgeConfig['guards'],
): BakeFinding {
  const withData = buckets.filter((b): b is BucketCounts => b !== null);
  const records = evaluateGuards(withData, guards);
  const tripped = records.find((g) => g.tripped);
  if (tripped)
    return { guards: records, breach: explainGuard(tripped), summary: explainGuard(tripped) };
  if (records.length === 0)
    return {
      guards: records,
      breach: null,
      summary: 'no guards configured (analysis.judge.guards)',
    };
  const parts = records.map((g) =>
    g.guard === 'errorRateCeiling'
      ? `error rate ${formatPercent(g.observed)} ≤ ${formatPercent(g.limit)} (${g.volume} requests)`
      : `mean latency ${formatMs(g.observed)} ≤ ${formatMs(g.limit)} (${g.volume} observations)`,
  );
  const thin = records.some((g) => !g.enoughVolume);
  return {
    guards: records,
    breach: null,
    summary: thin
      ? `not enough traffic to judge (guards need ${guards.minRequests}): ${parts.join(', ')}`
      : `within the guards: ${parts.join(', ')}`,
  };
}

/** What a bake look compares: the buckets of both versions and where they stand in the bake. */
export interface BakeComparisonInput {
  /** The new version's buckets in the look (oldest first; null: no data). */
  current: readonly (BucketCounts | null)[];
  /** The previous version's buckets from just before promotion, as many as the look's. */
  previous: readonly (BucketCounts | null)[];
  look: number;
  looks: number;
  previousVersion: string;
  config: JudgeConfig;
}

/**
 * Compares the new version's look with the previous version before promotion, by the judge with
 * the union bound over the bake's looks (each look's level is its own share of alpha). The most
 * recent buckets with data of each side are paired; a breach names both versions.
 */
export function compareBakeLook(input: BakeComparisonInput): {
  decision: JudgeDecision;
  breach: string | null;
  summary: string;
} {
  const current = input.current.filter((b): b is BucketCounts => b !== null);
  const previous = input.previous.filter((b): b is BucketCounts => b !== null);
  const n = Math.min(current.length, previous.length);
  const decision = judge({
    look: input.look,
    plannedLooks: input.looks,
    buckets: {
      canary: current.slice(current.length - n),
      baseline: previous.slice(previous.length - n),
    },
    config: { ...input.config, boundaries: 'union' },
  });
  const against = `against ${input.previousVersion} before promotion`;
  if (decision.verdict === 'fail' && decision.decidedBy.startsWith('metric:'))
    return {
      decision,
      breach: `${against}: ${decision.explanation}`,
      summary: `${against}: ${decision.explanation}`,
    };
  return { decision, breach: null, summary: `${against}: ${decision.explanation}` };
}
