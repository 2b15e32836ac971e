/**
 * The bake's look at the promoted version (`checkBake`): the new version's buckets from the
 * release's metrics provider — asked for as the canary arm, since its pods carry canaryVersion —
 * judged by the absolute guards, then compared with the previous version's buckets (the baseline
 * arm, pods labelled stableVersion) from just before promotion (core/bake.ts). Like the analysis,
 * it waits for the last bucket's scrapes first, heartbeating, and stops at once when cancelled.
 */
import { compareBakeLook, judgeBakeLook } from '../core/bake.js';
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
  const target = {
    releaseId: spec.releaseId,
    namespace: spec.namespace,
    service: spec.service,
    stableVersion: spec.stableVersion,
    canaryVersion: spec.canaryVersion,
  };
  const signal = cancellationSignal();
  const series = await provider.fetchBuckets(
    target,
    { startMs, endMs: input.toMs, bucketMs },
    { signal },
  );
  const result = {
    look: input.look,
    looks: input.looks,
    windowStart: new Date(startMs).toISOString(),
    windowEnd: new Date(input.toMs).toISOString(),
  };
  const guarded = judgeBakeLook(series.canary, spec.analysis.judge.guards);
  const until = input.previousUntilMs;
  if (
    guarded.breach ||
    until === undefined ||
    spec.policies.promotion.bakeComparison === 'guardsOnly'
  )
    return { ...result, ...guarded };
  // the previous version's buckets: as long a window as the look's, ending when promotion began
  const before = await provider.fetchBuckets(
    target,
    { startMs: until - (input.toMs - startMs), endMs: until, bucketMs },
    { signal },
  );
  const compared = compareBakeLook({
    current: series.canary,
    previous: before.baseline,
    look: input.look,
    looks: input.looks,
    previousVersion: spec.stableVersion,
    config: spec.analysis.judge,
  });
  return {
    ...result,
    guards: guarded.guards,
    breach: compared.breach,
    summary: `${guarded.summary}; ${compared.summary}`,
    comparison: compared.decision,
  };
}
