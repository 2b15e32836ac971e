/**
 * Absolute guards on the canary alone. They fail the release at once, whatever the statistics
 * say and whatever the baseline does: a canary serving 30% errors is rolled back even if the
 * baseline is just as bad. They look at the canary's most recent buckets — walking back from the
 * latest until the window holds at least `guards.minRequests` requests (or latency observations)
 * — so a sudden breakdown is not diluted by a long healthy history, and a single unlucky request
 * at low volume cannot trip them.
 */
import type { BucketCounts } from '../types.js';
import type { JudgeConfig } from './config.js';
import type { GuardRecord } from './decision.js';

interface Window {
  buckets: number;
  volume: number;
  numerator: number;
}

/** The latest buckets whose `volume` adds up to at least `minVolume` (or all buckets). */
function recentWindow(
  buckets: readonly BucketCounts[],
  minVolume: number,
  volumeOf: (b: BucketCounts) => number,
  numeratorOf: (b: BucketCounts) => number,
): Window {
  const window: Window = { buckets: 0, volume: 0, numerator: 0 };
  for (let i = buckets.length - 1; i >= 0 && window.volume < minVolume; i--) {
    const bucket = buckets[i] as BucketCounts;
    window.buckets += 1;
    window.volume += volumeOf(bucket);
    window.numerator += numeratorOf(bucket);
  }
  return window;
}

function guardRecord(
  guard: GuardRecord['guard'],
  limit: number,
  window: Window,
  minVolume: number,
): GuardRecord {
  const observed = window.volume > 0 ? window.numerator / window.volume : null;
  const enoughVolume = window.volume >= minVolume;
  return {
    guard,
    limit,
    observed,
    buckets: window.buckets,
    volume: window.volume,
    enoughVolume,
    tripped: enoughVolume && observed !== null && observed > limit,
  };
}

/** Every configured guard, evaluated on the canary's buckets (oldest first). */
export function evaluateGuards(
  canary: readonly BucketCounts[],
  guards: JudgeConfig['guards'],
): GuardRecord[] {
  const records: GuardRecord[] = [];
  if (guards.maxErrorRate !== null) {
    const window = recentWindow(
      canary,
      guards.minRequests,
      (b) => b.requests,
      (b) => b.errors,
    );
    records.push(guardRecord('errorRateCeiling', guards.maxErrorRate, window, guards.minRequests));
  }
  if (guards.maxLatencyMs !== null) {
    const window = recentWindow(
      canary,
      guards.minRequests,
      (b) => b.latencyCount,
      (b) => b.latencySumMs,
    );
    records.push(guardRecord('latencyCeiling', guards.maxLatencyMs, window, guards.minRequests));
  }
  return records;
}
