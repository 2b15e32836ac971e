/**
 * The bake after a promotion (`policies.promotion.bake`): how often the release looks at the new
 * version while it bakes, and what one look concludes. A look applies the judge's absolute guards
 * (core/judge/guards.ts: error-rate and latency ceilings, only with enough volume) to the new
 * version's most recent buckets — after promotion it carries all traffic, so there is no baseline
 * to compare with. Pure and workflow-safe.
 */
import type { JudgeConfig } from './judge/config.js';
import type { GuardRecord } from './judge/decision.js';
import { explainGuard, formatMs, formatPercent } from './judge/explain.js';
import { evaluateGuards } from './judge/guards.js';
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
