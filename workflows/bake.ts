/**
 * The bake after a promotion (policies.promotion.bake): stable already runs the new version and
 * holds all traffic, and the release stays open, looking at the new version's absolute guards
 * every max(bucket, bake / 10) (core/bake.ts). A breach, a person's `rollback`, an abort or a
 * cancelled workflow rolls back, which restores the pre-promotion stable from the snapshot kept
 * here; after the bake the release ends Promoted. At most ten looks, so no continue-as-new is
 * needed while baking. Workflow code, called by ending.ts.
 */
import { condition, isCancellation } from '@temporalio/workflow';
import { bakeSchedule } from '../core/bake.js';
import { formatDuration } from '../core/duration.js';
import { explainActivityFailure } from './activity-proxies.js';
import { checkAbort, interruptible, RollbackRequested, type RunContext } from './waits.js';

/**
 * Bakes the promoted release; `snapshot` is the stable workload as it was before promotion, which
 * began at `promotedAtMs` (the previous version's buckets for the comparison end there).
 */
export async function bake(
  run: RunContext,
  snapshot: unknown,
  promotedAtMs: number,
): Promise<void> {
  const { state, plan, spec, acts } = run;
  const bakeMs = plan.bakeMs ?? 0;
  const { lookMs, looks } = bakeSchedule(bakeMs, plan.bucketMs);
  // kept (and carried) so that a rollback restores the previous version
  state.stableSnapshot = snapshot;
  // abort applies again: like `rollback`, it undoes the promotion
  state.finalizing = false;
  const started = Date.now();
  const endsAt = started + bakeMs;
  state.startBake(
    endsAt,
    looks,
    `stable runs ${spec.canaryVersion} with all traffic; baking for ${formatDuration(bakeMs)}, a look at the guards every ${formatDuration(lookMs)}`,
  );
  for (let look = 1; look <= looks; look += 1) {
    const wait = Math.min(endsAt, started + look * lookMs) - Date.now();
    // condition() with a timeout of 0 would wait forever
    if (wait > 0) await condition(() => state.abortRequest !== null, wait);
    checkAbort(state);
    let finding: { breach: string | null; summary: string };
    try {
      finding = await interruptible(state, () =>
        acts.analysis.checkBake({
          spec,
          look,
          looks,
          toMs: Date.now(),
          lookMs,
          previousUntilMs: promotedAtMs,
        }),
      );
    } catch (error) {
      if (error instanceof RollbackRequested || isCancellation(error)) throw error;
      // a metrics outage is no reason to undo a promotion that passed analysis
      state.bakeLooked(look, `no finding: ${explainActivityFailure(error)}`);
      continue;
    }
    state.bakeLooked(look, finding.summary);
    if (finding.breach)
      throw new RollbackRequested(
        `bake look ${look}/${looks} of ${spec.canaryVersion}: ${finding.breach}`,
      );
  }
  state.stableSnapshot = null;
  state.finalizing = true;
  state.finish(
    'Promoted',
    `${
      state.promoteRequest
        ? `promoted ${spec.canaryVersion} early at the request of ${state.promoteRequest.actor}`
        : `promoted ${spec.canaryVersion}: every step passed analysis`
    }; no breach in the ${formatDuration(bakeMs)} bake`,
  );
}
