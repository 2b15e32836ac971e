/**
 * The bake's look at the promoted version (`checkBake`): the new version's buckets from the
 * release's metrics provider — asked for as the canary arm, since its pods carry canaryVersion —
 * judged by the absolute guards (core/bake.ts, core/judge/guards.ts). Like the analysis, it waits
 * for the last bucket's scrapes first, heartbeating, and stops at once when cancelled.
 */
import { judgeBakeLook } from '../core/bake.js';
import { analysisBucketMs } from '../core/plan.js';
import type { BakeCheckInput, BakeCheckResult } from './contract.js';
import { cancellationSignal, throwIfCancelled, waitHeartbeating } from './heartbeat.js';
import type { MetricsProvider } from './metrics/types.js';

/**
 * One look: buckets ending in (toMs - lookMs - bucket, toMs] — one bucket more than the look, so
 * at least one whole aligned bucket is in it; traffic before the promotion ran the same version on
 * the canary, so it may count — after waiting `lagMs` past toMs for the scrapes.
 */
export async function checkBake(
  provider: MetricsProvider,
  input: BakeCheckInput,
  lagMs: number,
): Promise<BakeCheckResult> {
  const { spec } = input;
  const bucketMs = analysisBucketMs(spec);
  const wait = input.toMs + lagMs - Date.now();
  if (wait > 0) await waitHeartbeating(wait, (left) => ({ waitingForScrapesMs: left }));
  throwIfCancelled();
  const startMs = input.toMs - input.lookMs - bucketMs;
  const series = await provider.fetchBuckets(
    {
      releaseId: spec.releaseId,
      namespace: spec.namespace,
      service: spec.service,
      stableVersion: spec.stableVersion,
      canaryVersion: spec.canaryVersion,
    },
    { startMs, endMs: input.toMs, bucketMs },
    { signal: cancellationSignal() },
  );
  return {
    look: input.look,
    looks: input.looks,
    windowStart: new Date(startMs).toISOString(),
    windowEnd: new Date(input.toMs).toISOString(),
    ...judgeBakeLook(series.canary, spec.analysis.judge.guards),
  };
}
