/**
 * Typed fakes of the release activities, for tests about the workflow itself: a "cluster" that
 * records weights and workload changes, and an analysis whose verdicts a test scripts.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type {
  AnalyseInput,
  AnalyseResult,
  BakeCheckInput,
  ReleaseActivities,
} from '../../activities/contract.js';
import type { AnnounceActivities, AnnounceInput } from '../../activities/notify/announce.js';
import { PREFLIGHT_REFUSALS } from '../../core/preflight.js';
import type { Decision } from '../../core/judge/decision.js';
import type { ReleaseSpec, SubmittedSpec } from '../../core/spec.js';
import type { Verdict, Weights } from '../../core/types.js';

export interface FakeCluster {
  /** What the release announced (the worker's real announce activity is replaced by a recorder). */
  announcements: AnnounceInput[];
  weights: Weights;
  canaryReplicas: number;
  stableVersion: string;
  cohortsApplied: boolean;
  weightHistory: number[];
  looks: AnalyseInput[];
  calls: string[];
  /** Set to make the next N router writes fail (retryable). */
  failRouterWrites: number;
  /** Set to make promoteStable fail (stable never becomes ready). */
  promotionFails: boolean;
  /** When the last weight change to 0 happened (ms), for timing rollbacks. */
  lastRestoredAt: number | null;
  /** When this cluster's first weight write landed (ms), for timing a retry on another worker. */
  firstWriteAt: number | null;
  /** Milliseconds a weight write to a given canary weight takes (to abort in the middle of one). */
  writeDelayMs: Record<number, number>;
  /** Milliseconds each analysis takes. */
  analysisDelayMs: number;
  /** Set to make every analysis fail as a metrics query that retrying cannot fix (non-retryable). */
  analysisFailsNonRetryable: boolean;
  /** Milliseconds promoteStable takes after it has started changing the stable workload. */
  promoteDelayMs: number;
  /** Milliseconds finishRelease takes before it resets routing. */
  finishDelayMs: number;
  /** Milliseconds resolveStableVersion takes (to read the status before the version is known). */
  resolveDelayMs: number;
  /** Set to make prepareRelease fail as a pre-flight refusal with this message (nothing changed). */
  preflightRefusal: string | null | ((spec: ReleaseSpec) => string | null);
  /** Set to make the next N attempts of finishRelease after a rollback fail (retryable). */
  failRollbacks: number;
  /** Attempts of finishRelease after a rollback, failed or not. */
  rollbackAttempts: number;
  /** The bake looks asked for; the look (1-based) whose guards are breached, if any. */
  bakeLooks: BakeCheckInput[];
  bakeBreachAtLook: number | null;
}

export function newFakeCluster(stableVersion = 'v1'): FakeCluster {
  return {
    announcements: [],
    weights: { stable: 100, canary: 0 },
    canaryReplicas: 0,
    stableVersion,
    cohortsApplied: false,
    weightHistory: [],
    looks: [],
    calls: [],
    failRouterWrites: 0,
    promotionFails: false,
    lastRestoredAt: null,
    firstWriteAt: null,
    writeDelayMs: {},
    analysisDelayMs: 0,
    analysisFailsNonRetryable: false,
    promoteDelayMs: 0,
    finishDelayMs: 0,
    resolveDelayMs: 0,
    preflightRefusal: null,
    failRollbacks: 0,
    rollbackAttempts: 0,
    bakeLooks: [],
    bakeBreachAtLook: null,
  };
}

/** Verdicts come from `script` in order; the last one repeats. */
export function fakeActivities(
  cluster: FakeCluster,
  script: Verdict[] | ((input: AnalyseInput) => Verdict),
): ReleaseActivities & AnnounceActivities {
  const verdictFor = (input: AnalyseInput): Verdict =>
    typeof script === 'function'
      ? script(input)
      : (script[Math.min(cluster.looks.length - 1, script.length - 1)] ?? 'pass');
  const write = (canary: number): Weights => {
    if (cluster.failRouterWrites > 0) {
      cluster.failRouterWrites -= 1;
      throw new Error('router unavailable: connection refused by the fake API server');
    }
    cluster.weights = { stable: 100 - canary, canary };
    cluster.weightHistory.push(canary);
    cluster.firstWriteAt ??= Date.now();
    if (canary === 0) cluster.lastRestoredAt = Date.now();
    return cluster.weights;
  };
  return {
    async announce(input) {
      cluster.announcements.push(input);
      return { delivered: true, attempts: 1 };
    },
    async resolveStableVersion(_spec: SubmittedSpec) {
      cluster.calls.push('resolveStableVersion');
      await new Promise((resolve) => setTimeout(resolve, cluster.resolveDelayMs));
      if (!cluster.stableVersion)
        throw ApplicationFailure.create({
          message: 'default/Deployment/web has no "version" label on its pod template',
          type: 'PreflightRejectedError',
          nonRetryable: true,
        });
      return cluster.stableVersion;
    },
    async prepareRelease(spec: ReleaseSpec) {
      cluster.calls.push('prepare');
      const refusal =
        typeof cluster.preflightRefusal === 'function'
          ? cluster.preflightRefusal(spec)
          : cluster.preflightRefusal;
      if (refusal !== null)
        throw ApplicationFailure.nonRetryable(refusal, PREFLIGHT_REFUSALS[0] as string);
      cluster.cohortsApplied = true;
      cluster.canaryReplicas = 1;
      return cluster.weights;
    },
    async setCanaryWeight(_spec, canaryWeight) {
      cluster.calls.push(`weight:${canaryWeight}`);
      const delay = cluster.writeDelayMs[canaryWeight];
      if (delay) await new Promise((r) => setTimeout(r, delay));
      return write(canaryWeight);
    },
    async analyseCanary(input): Promise<AnalyseResult> {
      cluster.looks.push(input);
      if (cluster.analysisDelayMs) await new Promise((r) => setTimeout(r, cluster.analysisDelayMs));
      if (cluster.analysisFailsNonRetryable)
        throw ApplicationFailure.nonRetryable(
          'bad_data: parse error in the error-rate query',
          'MetricsQueryError',
        );
      const verdict = verdictFor(input);
      const decision: Decision = {
        verdict,
        look: input.look,
        plannedLooks: input.plannedLooks,
        decidedBy: 'metric:errorRate',
        explanation:
          verdict === 'fail'
            ? 'error rate 5.0% vs 1.0% baseline, p = 0.0001 < 0.002: roll back'
            : `scripted ${verdict}`,
      };
      return {
        decision,
        bucketsUsed: 5,
        missingBuckets: 0,
        windowStart: new Date(input.fromMs).toISOString(),
        windowEnd: new Date(input.toMs).toISOString(),
      };
    },
    async checkBake(input) {
      cluster.bakeLooks.push(input);
      const breach =
        input.look === cluster.bakeBreachAtLook
          ? "canary error rate 31.0% over the canary's last 2 buckets (400 requests) exceeds the 10.0% ceiling: roll back"
          : null;
      return {
        look: input.look,
        looks: input.looks,
        windowStart: new Date(input.toMs - input.lookMs).toISOString(),
        windowEnd: new Date(input.toMs).toISOString(),
        guards: [],
        breach,
        summary: breach ?? 'within the guards: error rate 0.2% ≤ 10% (400 requests)',
      };
    },
    async snapshotStable(spec) {
      cluster.calls.push('snapshot');
      return { snapshot: { version: cluster.stableVersion, service: spec.service } };
    },
    async promoteStable(spec) {
      cluster.calls.push('promote');
      if (cluster.promotionFails)
        throw new Error(
          `deployment ${spec.namespace}/${spec.service} did not become ready within 5s`,
        );
      cluster.stableVersion = spec.canaryVersion;
      if (cluster.promoteDelayMs) await new Promise((r) => setTimeout(r, cluster.promoteDelayMs));
    },
    async restoreStable(_spec, snapshot) {
      cluster.calls.push('restore');
      cluster.stableVersion = (snapshot as { version: string }).version;
    },
    async finishRelease(_spec, outcome) {
      cluster.calls.push(`finish:${outcome}`);
      if (outcome === 'rolledBack') {
        cluster.rollbackAttempts += 1;
        if (cluster.failRollbacks > 0) {
          cluster.failRollbacks -= 1;
          throw new Error('router unavailable: the fake API server is down');
        }
      }
      if (cluster.finishDelayMs) await new Promise((r) => setTimeout(r, cluster.finishDelayMs));
      const weights = write(0);
      cluster.cohortsApplied = false;
      cluster.canaryReplicas = 0;
      return weights;
    },
  };
}
