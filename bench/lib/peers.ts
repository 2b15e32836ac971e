/**
 * The two peer judges the benchmark compares with, as their users would configure them. Both see
 * exactly the buckets our judge sees. Each returns the minute of rollback, or null.
 */
import type { BucketCounts } from '../../core/types.js';
import { errorRateSamples, latencyMeanSamples } from '../../core/judge/metrics.js';
import { mannWhitney } from './mann-whitney.js';

/** Buckets of both arms, oldest first. */
export interface ArmBuckets {
  canary: readonly BucketCounts[];
  baseline: readonly BucketCounts[];
}

/** A peer judge: the minute at which it rolls the canary back, or null if it never does. */
export type PeerJudge = (buckets: ArmBuckets) => number | null;

/**
 * Flagger-style: fixed thresholds on the canary alone, checked every bucket (interval 1m), and a
 * rollback once `threshold` checks have failed (Flagger's failedChecks counter is cumulative over
 * the analysis; its common setting is 5). A minute without requests fails its check.
 */
export interface FlaggerConfig {
  minSuccessRate: number;
  maxLatencyMs: number;
  threshold: number;
}

export function flaggerJudge(config: FlaggerConfig): PeerJudge {
  return ({ canary }) => {
    let failed = 0;
    for (let i = 0; i < canary.length; i++) {
      const b = canary[i] as BucketCounts;
      const ok =
        b.requests > 0 &&
        b.latencyCount > 0 &&
        1 - b.errors / b.requests >= config.minSuccessRate &&
        b.latencySumMs / b.latencyCount <= config.maxLatencyMs;
      if (!ok) failed += 1;
      if (failed >= config.threshold) return i + 1;
    }
    return null;
  };
}

/**
 * Kayenta-style (Netflix ACA judge): at each look, for each metric, a two-sided Mann–Whitney U
 * test of the canary's per-minute values against the baseline's over all buckets so far, at
 * `confidence`, with no correction for metrics or looks. A metric is "High" when the test rejects
 * and the canary/baseline ratio of means exceeds its allowed increase. With two metrics, one High
 * metric scores 50 < 75 (marginal) and the canary fails.
 */
export interface KayentaConfig {
  confidence: number;
  allowedIncrease: { errorRate: number; latencyMean: number };
  /** Minutes between looks. */
  lookEvery: number;
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

function isHigh(
  canary: readonly number[],
  baseline: readonly number[],
  allowedIncrease: number,
  confidence: number,
): boolean {
  if (canary.length === 0 || baseline.length === 0) return false;
  const { pTwoSided } = mannWhitney(canary, baseline);
  const mc = mean(canary);
  const mb = mean(baseline);
  const ratio = mb > 0 ? mc / mb : mc > 0 ? Number.POSITIVE_INFINITY : 1;
  return pTwoSided < 1 - confidence && ratio > allowedIncrease;
}

export function kayentaJudge(config: KayentaConfig): PeerJudge {
  return (buckets) => {
    for (let end = config.lookEvery; end <= buckets.canary.length; end += config.lookEvery) {
      const canary = buckets.canary.slice(0, end);
      const baseline = buckets.baseline.slice(0, end);
      const high =
        isHigh(
          errorRateSamples(canary),
          errorRateSamples(baseline),
          config.allowedIncrease.errorRate,
          config.confidence,
        ) ||
        isHigh(
          latencyMeanSamples(canary),
          latencyMeanSamples(baseline),
          config.allowedIncrease.latencyMean,
          config.confidence,
        );
      if (high) return end;
    }
    return null;
  };
}
