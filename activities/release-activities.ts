/**
 * The release activities: the workflow's only way to touch the world. Built by a factory that
 * receives its providers, so the worker passes real ones (Kubernetes, Prometheus, the sandbox)
 * and tests pass typed fakes.
 */
import { bucketStepCohorts, scheduleUserBucket } from '../core/routing/schedule-buckets.js';
import type { Decision } from '../core/judge/decision.js';
import { judge, requireJudgeRequest } from '../core/judge/index.js';
import { bucketCoverage, describeCoverage } from '../core/metrics/coverage.js';
import { analysisBucketMs } from '../core/plan.js';
import type { ReleaseSpec, SubmittedSpec } from '../core/spec.js';
import type { BucketCounts, BucketSeries } from '../core/types.js';
import { checkBake } from './bake.js';
import type { AnalyseInput, AnalyseResult, ReleaseActivities } from './contract.js';
import { converting } from './errors.js';
import {
  createAnnounceActivities,
  type AnnounceActivities,
  type AnnounceDeps,
} from './notify/announce.js';
import { createNotificationSink } from './notify/factory.js';
import {
  cancellationSignal,
  heartbeat,
  heartbeating,
  throwIfCancelled,
  waitHeartbeating,
} from './heartbeat.js';
import type { MetricsProvider } from './metrics/types.js';
import { preflight } from './preflight.js';
import { namespaceProblem, PreflightRejectedError } from '../core/preflight.js';
import { StableVersionUnknownError, UnsupportedWorkloadsError } from './workloads/errors.js';
import type { TrafficRouter } from './routers/types.js';
import type { WorkloadManager } from './workloads/types.js';

export interface ActivityDeps {
  routerFor(spec: ReleaseSpec): TrafficRouter;
  /** The workloads of a spec; also before its stable version is known (resolveStableVersion). */
  workloadsFor(spec: SubmittedSpec): WorkloadManager;
  metricsFor(spec: ReleaseSpec): MetricsProvider;
  /**
   * How long after a window ends the analysis waits before querying, so the last bucket's final
   * scrape has landed (default: two buckets, at most 30 s).
   */
  scrapeLagMs?: (bucketMs: number) => number;
  /**
   * Namespace patterns this worker may release in (CANARY_ALLOWED_NAMESPACES, `*` globs);
   * undefined: every namespace.
   */
  allowedNamespaces?: readonly string[];
  /**
   * The notification sinks and Kubernetes Events of the announce activity (activities/notify/);
   * default: no sinks and no events.
   */
  announce?: AnnounceDeps;
}

/** A worker that announces nothing: every sink name is unknown, and it records no events. */
const NO_ANNOUNCEMENTS: AnnounceDeps = { sinkFor: (name) => createNotificationSink(name, {}) };

/** Pairs of buckets where both arms have data; the rest are counted as missing. */
export function alignedPairs(series: BucketSeries): {
  canary: BucketCounts[];
  baseline: BucketCounts[];
  missing: number;
} {
  const canary: BucketCounts[] = [];
  const baseline: BucketCounts[] = [];
  series.timestamps.forEach((_, i) => {
    const c = series.canary[i];
    const b = series.baseline[i];
    if (c && b) {
      canary.push(c);
      baseline.push(b);
    }
  });
  return { canary, baseline, missing: series.timestamps.length - canary.length };
}

/**
 * An activity body: heartbeating every second while it runs (so a lost worker's activity is retried
 * elsewhere within the heartbeat timeout, and an abort's cancellation arrives), with provider
 * errors converted on the way out.
 */
function activity<T>(work: () => Promise<T>): Promise<T> {
  return converting(() => heartbeating(work));
}

export function createActivities(deps: ActivityDeps): ReleaseActivities & AnnounceActivities {
  const lag = deps.scrapeLagMs ?? ((bucketMs: number) => Math.min(30_000, 2 * bucketMs));
  return {
    ...createAnnounceActivities(deps.announce ?? NO_ANNOUNCEMENTS),
    resolveStableVersion: (spec) =>
      converting(async () => {
        // the first read of a release: nothing outside the allow-list is looked at either
        const refused = namespaceProblem(spec.namespace, deps.allowedNamespaces);
        if (refused) throw new PreflightRejectedError(spec.service, [refused]);
        const workloads = deps.workloadsFor(spec);
        if (!workloads.currentStableVersion)
          throw new UnsupportedWorkloadsError(
            spec.workloads.type,
            'it cannot tell the stable version; set stableVersion in the spec',
          );
        try {
          return await workloads.currentStableVersion();
        } catch (error) {
          // a refusal like the pre-flight's: nothing changed, every problem (here one) listed
          if (error instanceof StableVersionUnknownError)
            throw new PreflightRejectedError(spec.service, [error.problem]);
          throw error;
        }
      }),

    prepareRelease: (spec) =>
      activity(async () => {
        // nothing changes before every problem the release would meet is known (none, or all at once)
        await preflight(
          spec,
          {
            router: () => deps.routerFor(spec),
            workloads: () => deps.workloadsFor(spec),
            metrics: () => deps.metricsFor(spec),
          },
          deps.allowedNamespaces,
          { signal: cancellationSignal() },
        );
        const router = deps.routerFor(spec);
        const workloads = deps.workloadsFor(spec);
        await workloads.prepareCanary(heartbeat);
        await router.initialize(spec.cohorts);
        return router.getWeights();
      }),

    setCanaryWeight: (spec, canaryWeight) =>
      activity(async () => {
        const workloads = deps.workloadsFor(spec);
        const users = scheduleUserBucket(spec);
        if (users && canaryWeight < 100) {
          // a share of users: every other request stays on stable (weights 100/0); the schedule only
          // rises, so the canary is scaled first, except when its users leave (0 %, an abort)
          const router = deps.routerFor(spec);
          if (canaryWeight > 0) await workloads.scaleForWeight(canaryWeight, heartbeat);
          throwIfCancelled();
          await router.initialize(bucketStepCohorts(spec, users, canaryWeight));
          if (canaryWeight === 0) await workloads.scaleForWeight(0, heartbeat);
          return { stable: 100 - canaryWeight, canary: canaryWeight };
        }
        // scale up before sending more traffic; scale down only after traffic has moved away
        const router = deps.routerFor(spec);
        const current = await router.getWeights();
        if (canaryWeight >= current.canary) await workloads.scaleForWeight(canaryWeight, heartbeat);
        throwIfCancelled();
        const weights = await router.setWeights({
          stable: 100 - canaryWeight,
          canary: canaryWeight,
        });
        if (canaryWeight < current.canary) await workloads.scaleForWeight(canaryWeight, heartbeat);
        return weights;
      }),

    analyseCanary: (input: AnalyseInput) =>
      activity(async (): Promise<AnalyseResult> => {
        const { spec } = input;
        const bucketMs = analysisBucketMs(spec);
        const wait = input.toMs + lag(bucketMs) - Date.now();
        // an aborted release does not hold a worker slot through the scrape lag
        if (wait > 0) await waitHeartbeating(wait, (left) => ({ waitingForScrapesMs: left }));
        throwIfCancelled();
        const provider = deps.metricsFor(spec);
        const series = await provider.fetchBuckets(
          {
            releaseId: spec.releaseId,
            namespace: spec.namespace,
            service: spec.service,
            stableVersion: spec.stableVersion,
            canaryVersion: spec.canaryVersion,
          },
          { startMs: input.fromMs, endMs: input.toMs, bucketMs },
          { signal: cancellationSignal() },
        );
        const pairs = alignedPairs(series);
        const coverage = bucketCoverage(series);
        // "no data" is its own result, never a zero: the workflow extends, holds or rolls back per policy
        const decision: Decision = coverage.noData
          ? {
              verdict: 'inconclusive',
              decidedBy: 'gate:noData',
              explanation: `no data: ${describeCoverage(coverage)}`,
              look: input.look,
              plannedLooks: input.plannedLooks,
            }
          : judge(
              requireJudgeRequest({
                look: input.look,
                plannedLooks: input.plannedLooks,
                buckets: { canary: pairs.canary, baseline: pairs.baseline },
                config: spec.analysis.judge,
              }),
            );
        if (series.warnings && series.warnings.length > 0) decision.warnings = series.warnings;
        return {
          decision,
          bucketsUsed: pairs.canary.length,
          missingBuckets: pairs.missing,
          windowStart: new Date(input.fromMs).toISOString(),
          windowEnd: new Date(input.toMs).toISOString(),
        };
      }),

    checkBake: (input) =>
      activity(() =>
        checkBake(deps.metricsFor(input.spec), input, lag(analysisBucketMs(input.spec))),
      ),

    snapshotStable: (spec) =>
      activity(async () => ({ snapshot: await deps.workloadsFor(spec).snapshotStable() })),

    promoteStable: (spec) => activity(() => deps.workloadsFor(spec).promoteStable(heartbeat)),

    restoreStable: (spec, snapshot) =>
      activity(() => deps.workloadsFor(spec).restoreStable(snapshot, heartbeat)),

    finishRelease: (spec, _outcome) =>
      activity(async () => {
        const weights = await deps.routerFor(spec).finalize();
        await deps.workloadsFor(spec).scaleDownCanary(heartbeat);
        return weights;
      }),
  };
}
