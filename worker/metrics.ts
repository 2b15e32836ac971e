/**
 * The worker's Prometheus metrics (served on /metrics by worker/health.ts), in a registry of its
 * own. Activity code does not change for them: an activity interceptor times every activity and
 * reads decisions and rollbacks off their arguments and results, and the Kubernetes object store
 * reports its optimistic writes and conflicts through observeObjectWrites.
 *
 * Releases by phase come from Temporal visibility (count queries per phase on scrape, cached for
 * a few seconds), not from the activities: phases change inside workflow code, which activities
 * never see, and a count from visibility is the same on every replica and survives restarts
 * (aggregate replicas with max(), not sum()).
 */
import { CancelledFailure, type Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AnalyseInput, AnalyseResult } from '../activities/contract.js';
import { observeObjectWrites } from '../activities/kube/objects.js';
import type { ReleaseSpec } from '../core/spec.js';
import {
  PHASES,
  RELEASE_WORKFLOW_TYPE,
  REPAIR_WORKFLOW_TYPE,
  TERMINAL_PHASES,
  type Phase,
} from '../workflows/messages.js';

/** The Temporal calls the phase gauge makes; NativeConnection and the client's Connection both have them. */
export interface VisibilityConnection {
  withDeadline<T>(deadline: number | Date, fn: () => Promise<T>): Promise<T>;
  workflowService: {
    countWorkflowExecutions(request: {
      namespace: string;
      query: string;
    }): Promise<{ count?: unknown }>;
  };
}

export interface WorkerMetricsOptions {
  /** Where to count releases by phase; without it the phase gauge is not exported. */
  visibility?: { connection: VisibilityConnection; namespace: string; taskQueue: string };
  /** How long one set of phase counts is reused between scrapes. */
  phaseCacheMs?: number;
  /** Node process metrics (CPU, memory, event loop); off in tests that run several workers. */
  processMetrics?: boolean;
}

const PHASE_QUERY_TIMEOUT_MS = 2000;
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LONG_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** The visibility query counting one phase: releases on this task queue, only running ones for a phase that is not an end. */
export function phaseQuery(taskQueue: string, phase: Phase): string {
  // the repair's own phases are published by the repair workflow (workflows/repair.ts)
  const type =
    phase === 'Repairing' || phase === 'Repaired' ? REPAIR_WORKFLOW_TYPE : RELEASE_WORKFLOW_TYPE;
  const clauses = [
    `WorkflowType = '${type}'`,
    `TaskQueue = '${taskQueue.replace(/'/g, "\\'")}'`,
    `CanaryPhase = '${phase}'`,
  ];
  // a terminated or timed-out workflow keeps the phase it last published; it is not running in it
  if (!TERMINAL_PHASES.includes(phase)) clauses.push(`ExecutionStatus = 'Running'`);
  return clauses.join(' AND ');
}

/** The failure type an activity error is counted under: the Temporal failure type or the error class. */
export function failureType(error: unknown): string {
  if (error instanceof CancelledFailure) return 'Cancelled';
  if (error instanceof ApplicationFailure) return error.type ?? 'ApplicationFailure';
  if (error instanceof Error) return error.name;
  return 'unknown';
}

export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly releases = new Gauge({
    name: 'canary_releases',
    help: 'Releases on this task queue by phase (Temporal visibility: running ones for non-final phases; every replica reports the same).',
    labelNames: ['phase'] as const,
    registers: [],
  });
  private readonly phaseCountErrors = new Counter({
    name: 'canary_releases_count_errors_total',
    help: 'Scrapes whose releases-by-phase counts Temporal did not answer (the gauge is then left empty).',
    registers: [this.registry],
  });
  private readonly decisions = new Counter({
    name: 'canary_decisions_total',
    help: 'Analysis decisions by verdict and what decided them (metric:…, guard:…, gate:…).',
    labelNames: ['release_namespace', 'release_service', 'verdict', 'decided_by'] as const,
    registers: [this.registry],
  });
  private readonly writeDuration = new Histogram({
    name: 'canary_kube_write_duration_seconds',
    help: 'Optimistic writes of routing objects and Deployments, read to verified write, by kind and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly writeConflicts = new Counter({
    name: 'canary_kube_write_conflicts_total',
    help: 'Optimistic writes retried after another writer changed the object (HTTP 409), by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly rollbacks = new Counter({
    name: 'canary_rollbacks_total',
    help: 'Rollbacks completed (all traffic back on stable), by release namespace and service.',
    labelNames: ['release_namespace', 'release_service'] as const,
    registers: [this.registry],
  });
  private readonly rollbackDuration = new Histogram({
    name: 'canary_rollback_duration_seconds',
    help: "Time from scheduling the rollback's routing reset to its success, retries included.",
    buckets: LONG_BUCKETS,
    registers: [this.registry],
  });
  private readonly rollbackAttemptFailures = new Counter({
    name: 'canary_rollback_attempt_failures_total',
    help: 'Failed attempts of a rollback activity (restoreStable, finishRelease after a rollback): Temporal retries them.',
    labelNames: ['release_namespace', 'release_service', 'activity'] as const,
    registers: [this.registry],
  });
  private readonly activityFailures = new Counter({
    name: 'canary_activity_failures_total',
    help: 'Failed activity attempts by activity type and failure type.',
    labelNames: ['activity', 'failure_type'] as const,
    registers: [this.registry],
  });
  private readonly activityDuration = new Histogram({
    name: 'canary_activity_duration_seconds',
    help: 'Activity attempts by activity type and outcome (completed, failed, cancelled).',
    labelNames: ['activity', 'outcome'] as const,
    buckets: LONG_BUCKETS,
    registers: [this.registry],
  });
  private phaseCounts: { at: number; counts: Promise<Map<Phase, number>> } | undefined;

  constructor(private readonly options: WorkerMetricsOptions = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    if (options.visibility) this.registry.registerMetric(this.releases);
  }

  /** The registry's text exposition, with the phase counts refreshed first when their cache is old. */
  async render(): Promise<{ contentType: string; body: string }> {
    await this.refreshPhases();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Starts counting the Kubernetes object store's writes and conflicts; returns the unsubscribe. */
  observeObjectWrites(): () => void {
    return observeObjectWrites({
      written: (kind, outcome, seconds) => this.writeDuration.observe({ kind, outcome }, seconds),
      conflict: (kind) => this.writeConflicts.inc({ kind }),
    });
  }

  /** For Worker.create's `interceptors.activity`: times every activity and records what it decided. */
  activityInterceptors(): ActivityInterceptorsFactory {
    return (ctx: Context) => ({
      inbound: {
        execute: async (input, next) => {
          const activity = ctx.info.activityType;
          const startedAt = performance.now();
          const seconds = () => (performance.now() - startedAt) / 1000;
          try {
            const result = await next(input);
            this.activityDuration.observe({ activity, outcome: 'completed' }, seconds());
            this.completed(activity, input.args, result, ctx);
            return result;
          } catch (error) {
            const type = failureType(error);
            this.activityDuration.observe(
              { activity, outcome: type === 'Cancelled' ? 'cancelled' : 'failed' },
              seconds(),
            );
            this.activityFailures.inc({ activity, failure_type: type });
            if (isRollbackActivity(activity, input.args)) {
              const spec = input.args[0] as ReleaseSpec;
              this.rollbackAttemptFailures.inc({ ...releaseLabels(spec), activity });
            }
            throw error;
          }
        },
      },
    });
  }

  private completed(
    activity: string,
    args: readonly unknown[],
    result: unknown,
    ctx: Context,
  ): void {
    if (activity === 'analyseCanary') {
      const { spec } = args[0] as AnalyseInput;
      const { decision } = result as AnalyseResult;
      this.decisions.inc({
        ...releaseLabels(spec),
        verdict: decision.verdict,
        decided_by: decision.decidedBy,
      });
    } else if (activity === 'finishRelease' && args[1] === 'rolledBack') {
      const spec = args[0] as ReleaseSpec;
      this.rollbacks.inc(releaseLabels(spec));
      this.rollbackDuration.observe(Math.max(0, Date.now() - ctx.info.scheduledTimestampMs) / 1000);
    }
  }

  /** Counts every phase in parallel; a failed count leaves the gauge empty rather than stale. */
  private async refreshPhases(): Promise<void> {
    const visibility = this.options.visibility;
    if (!visibility) return;
    const cacheMs = this.options.phaseCacheMs ?? 10_000;
    if (!this.phaseCounts || Date.now() - this.phaseCounts.at >= cacheMs) {
      const { connection, namespace, taskQueue } = visibility;
      const count = async (phase: Phase): Promise<[Phase, number]> => {
        const answer = await connection.withDeadline(Date.now() + PHASE_QUERY_TIMEOUT_MS, () =>
          connection.workflowService.countWorkflowExecutions({
            namespace,
            query: phaseQuery(taskQueue, phase),
          }),
        );
        return [phase, toNumber(answer.count)];
      };
      this.phaseCounts = {
        at: Date.now(),
        counts: Promise.all(PHASES.map(count)).then((entries) => new Map(entries)),
      };
    }
    try {
      const counts = await this.phaseCounts.counts;
      for (const phase of PHASES) this.releases.set({ phase }, counts.get(phase) ?? 0);
    } catch {
      this.releases.reset();
      this.phaseCountErrors.inc();
      this.phaseCounts = undefined;
    }
  }
}

/**
 * The release a sample is about. Not `namespace`/`service`: Prometheus' Kubernetes discovery gives
 * every target those labels (the worker pod's), and a metric's own would be renamed exported_*.
 */
function releaseLabels(spec: ReleaseSpec): { release_namespace: string; release_service: string } {
  return { release_namespace: spec.namespace, release_service: spec.service };
}

/** Attempts that belong to a rollback: restoring stable, or the routing reset after a rollback. */
function isRollbackActivity(activity: string, args: readonly unknown[]): boolean {
  return activity === 'restoreStable' || (activity === 'finishRelease' && args[1] === 'rolledBack');
}

/** An int64 from the API: a Long object (when protobufjs has `long`), a number, or absent. */
function toNumber(value: unknown): number {
  if (
    typeof value === 'object' &&
    value !== null &&
    'toNumber' in value &&
    typeof value.toNumber === 'function'
  )
    return Number(value.toNumber());
  return Number(value ?? 0);
}
