/**
 * Simulated per-minute buckets for a canary and its baseline.
 *
 * Noise model (fixed before any judge was tuned, stated in docs/judge.md):
 * - traffic: requests per bucket ~ Poisson(rate) per arm;
 * - shared incidents: a standardised AR(1) process z_t (φ = 0.8 per minute) multiplies both arms'
 *   error rate by exp(0.25·z_t) and their latency by exp(0.04·z_t) (mean-one lognormal factors):
 *   slow drifts and incidents that hit canary and baseline alike;
 * - arm-specific noise: each arm's error rate gets its own exp(0.1·ε) factor per bucket, errors are
 *   Poisson given requests, each request's latency is lognormal with a coefficient of variation of
 *   0.6 (so a bucket's mean latency has sd 0.6·μ/√requests), plus 1 ms of per-arm jitter per bucket.
 */
import type { BucketCounts } from '../../core/types.js';
import type { Random } from './random.js';

export interface ArmModel {
  errorRate: number;
  latencyMs: number;
}

export interface SimulationModel {
  requestsPerMinute: number;
  buckets: number;
  baseline: ArmModel;
  canary: ArmModel;
}

export const NOISE = {
  arPhi: 0.8,
  sharedErrorSd: 0.25,
  sharedLatencySd: 0.04,
  armErrorSd: 0.1,
  latencyCv: 0.6,
  armLatencyJitterMs: 1,
} as const;

/** A mean-one lognormal factor exp(sd·z − sd²/2). */
const factor = (sd: number, z: number): number => Math.exp(sd * z - (sd * sd) / 2);

function bucket(
  random: Random,
  model: SimulationModel,
  arm: ArmModel,
  shared: number,
): BucketCounts {
  const requests = random.poisson(model.requestsPerMinute);
  const errorRate =
    arm.errorRate * factor(NOISE.sharedErrorSd, shared) * factor(NOISE.armErrorSd, random.normal());
  const errors = Math.min(requests, random.poisson(requests * errorRate));
  const latencyMean = arm.latencyMs * factor(NOISE.sharedLatencySd, shared);
  const bucketMean =
    requests > 0
      ? latencyMean +
        (NOISE.latencyCv * latencyMean * random.normal()) / Math.sqrt(requests) +
        NOISE.armLatencyJitterMs * random.normal()
      : 0;
  return {
    requests,
    errors,
    latencySumMs: Math.max(0, bucketMean) * requests,
    latencyCount: requests,
  };
}

/** One simulated release: `model.buckets` aligned buckets per arm. */
export function simulate(
  random: Random,
  model: SimulationModel,
): { canary: BucketCounts[]; baseline: BucketCounts[] } {
  const canary: BucketCounts[] = [];
  const baseline: BucketCounts[] = [];
  let shared = random.normal();
  const innovation = Math.sqrt(1 - NOISE.arPhi * NOISE.arPhi);
  for (let i = 0; i < model.buckets; i++) {
    if (i > 0) shared = NOISE.arPhi * shared + innovation * random.normal();
    canary.push(bucket(random, model, model.canary, shared));
    baseline.push(bucket(random, model, model.baseline, shared));
  }
  return { canary, baseline };
}
