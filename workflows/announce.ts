/**
 * Announcing a release: every phase change and decision (ReleaseState.onChange) becomes an
 * announcement, sent by the announce activity to each notification sink the spec subscribed to
 * that event and, for Kubernetes workloads, recorded as an Event on the stable Deployment. The
 * release never waits for them: each activity is started (after the same target's previous one,
 * so a channel hears of events in order) and its result noted in the timeline when it comes ("notified slack-sre: rolled back", or why it was not delivered); an announcement
 * can neither delay nor fail the release. Before the workflow ends (or continues as new) it waits
 * a short grace for deliveries still under way, then hands those left to `canaryAnnouncements`
 * (workflows/announcements.ts), a child workflow it abandons, which keeps retrying them after the
 * release has closed. Workflow code.
 */
import {
  ActivityFailure,
  CancellationScope,
  condition,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  AnnounceActivities,
  AnnounceInput,
  AnnounceResult,
  AnnounceTarget,
} from '../activities/notify/announce.js';
import {
  announcementEvent,
  EVENT_LOOKS,
  subscribedSinks,
  type Announcement,
  type NotificationEvent,
  type StateChange,
} from '../core/notifications/events.js';
import { formatDuration } from '../core/duration.js';
import type { SubmittedSpec } from '../core/spec.js';
import type { ReleaseState } from './state.js';

/** Since this patch, releases announce their phase changes and decisions. */
export const ANNOUNCE_PATCH = 'announce';
/** Since this patch, the end hands undelivered announcements to a child instead of waiting. */
export const HANDOFF_PATCH = 'announce-handoff';

/** How announcements are retried and how long the end of a release waits for them. */
export interface AnnounceTiming {
  /** Attempts per announcement and target; the last one reports instead of failing. */
  maxAttempts: number;
  /** The wait after the first failed attempt, doubling per attempt up to maxIntervalMs. */
  initialIntervalMs: number;
  maxIntervalMs: number;
  /** How long the end of the workflow waits for deliveries still under way before handing them off. */
  graceMs?: number;
  /** How long runs recorded before the hand-off waited at their end (kept for their replay). */
  settleMs: number;
}

/** 5 attempts over about two minutes (waits 5, 10, 20, 40 s plus up to 10 s per attempt). */
export const ANNOUNCE_TIMING: AnnounceTiming = {
  maxAttempts: 5,
  initialIntervalMs: 5_000,
  maxIntervalMs: 60_000,
  graceMs: 10_000,
  settleMs: 150_000,
};

/** "slack-sre" / "Kubernetes event CanaryRolledBack on team-a/Deployment/web", for the timeline. */
function describeTarget(target: AnnounceTarget, event: NotificationEvent): string {
  return target.kind === 'sink'
    ? target.sink
    : `Kubernetes event ${EVENT_LOOKS[event].reason} on ${target.namespace}/Deployment/${target.deployment}`;
}

export class Announcer {
  private readonly acts: AnnounceActivities;
  private pending = 0;
  private sequence = 0;
  private handoffs = 0;
  private deliveries = 0;
  /** Deliveries not finished yet, by a number of their own, in the order they were made. */
  private readonly undelivered = new Map<number, AnnounceInput>();
  /** Each target's last delivery: a target hears of events one at a time, in order. */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly spec: SubmittedSpec,
    private readonly state: ReleaseState,
    private readonly timing: AnnounceTiming = ANNOUNCE_TIMING,
  ) {
    this.acts = proxyActivities<AnnounceActivities>({
      // a sink's own time limit is at most 60 s (worker/notification-config.ts)
      startToCloseTimeout: '75s',
      retry: {
        initialInterval: timing.initialIntervalMs,
        backoffCoefficient: 2,
        maximumInterval: timing.maxIntervalMs,
        maximumAttempts: timing.maxAttempts,
      },
    });
    state.onChange((change) => this.announce(change));
  }

  /** Where an event goes: the subscribed sinks, and the stable Deployment's events. */
  private targets(event: NotificationEvent): AnnounceTarget[] {
    // releases recorded before `notifications` existed have none
    const notifications =
      (this.spec.notifications as SubmittedSpec['notifications'] | undefined) ?? [];
    const targets: AnnounceTarget[] = subscribedSinks(notifications, event).map((sink) => ({
      kind: 'sink',
      sink,
    }));
    const { workloads } = this.spec;
    if (workloads.type === 'kubernetes')
      targets.push({
        kind: 'kubeEvent',
        namespace: this.spec.namespace,
        deployment: workloads.stableDeployment,
      });
    return targets;
  }

  private announcement(event: NotificationEvent, change: StateChange): Announcement {
    const status = this.state.status;
    const record = change.kind === 'decision' ? status.decisions[change.index] : undefined;
    this.sequence += 1;
    return {
      id: `${workflowInfo().runId}.${this.sequence}`,
      event,
      at: new Date().toISOString(),
      releaseId: status.releaseId,
      service: status.service,
      namespace: status.namespace,
      stableVersion: status.stableVersion,
      canaryVersion: status.canaryVersion,
      phase: status.phase,
      step: status.step,
      totalSteps: status.totalSteps,
      weights: { ...status.weights },
      message: change.message,
      decision: record
        ? {
            step: record.step,
            look: record.look,
            plannedLooks: record.plannedLooks,
            verdict: record.decision.verdict,
            decidedBy: record.decision.decidedBy,
            explanation: record.decision.explanation,
            action: record.action,
          }
        : null,
      outcome: status.outcome,
    };
  }

  /** Starts the announcements of one change, without waiting for them. */
  private announce(change: StateChange): void {
    const event = announcementEvent(change);
    if (!event) return;
    const targets = this.targets(event);
    if (targets.length === 0 || !patched(ANNOUNCE_PATCH)) return;
    const announcement = this.announcement(event, change);
    for (const target of targets) {
      this.pending += 1;
      const number = (this.deliveries += 1);
      const input: AnnounceInput = { announcement, target, maxAttempts: this.timing.maxAttempts };
      this.undelivered.set(number, input);
      const key = target.kind === 'sink' ? `sink:${target.sink}` : 'kubeEvent';
      const tail = (this.tails.get(key) ?? Promise.resolve())
        // a cancelled workflow still announces its rollback
        .then(() => CancellationScope.nonCancellable(() => this.acts.announce(input)))
        .then(
          (result) => this.noteResult(target, event, result),
          (error: unknown) => this.noteFailure(target, event, error),
        )
        .finally(() => {
          this.pending -= 1;
          this.undelivered.delete(number);
        });
      this.tails.set(key, tail);
    }
  }

  private noteResult(target: AnnounceTarget, event: NotificationEvent, result: AnnounceResult) {
    const what = describeTarget(target, event);
    if (!result.delivered) {
      const attempts = `${result.attempts} attempt${result.attempts === 1 ? '' : 's'}`;
      const message =
        target.kind === 'sink'
          ? `notification to ${what} undelivered after ${attempts}: ${result.reason}`
          : `${what} not recorded after ${attempts}: ${result.reason}`;
      this.state.note({ type: 'error', message });
    } else if (target.kind === 'sink') {
      // events are one per change: the timeline keeps them out, it already shows the change
      this.state.note({ type: 'phase', message: `notified ${what}: ${EVENT_LOOKS[event].title}` });
    }
  }

  private noteFailure(target: AnnounceTarget, event: NotificationEvent, error: unknown) {
    const cause =
      error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
    const what = describeTarget(target, event);
    this.state.note({
      type: 'error',
      message:
        target.kind === 'sink'
          ? `notification to ${what} undelivered: ${cause}`
          : `${what} not recorded: ${cause}`,
    });
  }

  /**
   * Before the run ends (or continues as new): waits a short grace for deliveries still under way,
   * so their results reach the timeline, then hands the rest to a `canaryAnnouncements` child that
   * outlives the run (noted with its workflow id). A delivery in flight at that moment may arrive
   * twice; both carry the announcement's id (X-Canary-Delivery), and Kubernetes Events are written
   * once by name. Runs recorded before the hand-off waited up to settleMs instead.
   */
  async settle(): Promise<void> {
    if (this.pending === 0) return;
    if (!patched(HANDOFF_PATCH)) return this.settleByWaiting();
    const graceMs = this.timing.graceMs ?? ANNOUNCE_TIMING.graceMs ?? 10_000;
    const settled = await CancellationScope.nonCancellable(() =>
      condition(() => this.pending === 0, graceMs),
    );
    if (settled) return;
    const items = [...this.undelivered.values()];
    this.handoffs += 1;
    const info = workflowInfo();
    // named by the release (not the service's workflow id, which replays of a history do not know)
    const workflowId = `canary-announcements.${this.spec.releaseId}.${info.runId}.${this.handoffs}`;
    await CancellationScope.nonCancellable(() =>
      startChild('canaryAnnouncements', {
        workflowId,
        args: [
          {
            items,
            retry: {
              initialIntervalMs: this.timing.initialIntervalMs,
              maxIntervalMs: this.timing.maxIntervalMs,
            },
          },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      }),
    );
    this.state.note({
      type: 'error',
      message: `${items.length} announcement${items.length === 1 ? '' : 's'} still undelivered after ${formatDuration(graceMs)}; workflow ${workflowId} keeps retrying after the release ends`,
    });
  }

  /** The end of runs recorded before the hand-off: wait up to settleMs, then give up. */
  private async settleByWaiting(): Promise<void> {
    const settled = await CancellationScope.nonCancellable(() =>
      condition(() => this.pending === 0, this.timing.settleMs),
    );
    if (!settled)
      this.state.note({
        type: 'error',
        message: `${this.pending} announcement${this.pending === 1 ? '' : 's'} still undelivered after waiting ${Math.round(this.timing.settleMs / 1000)} s for them; given up`,
      });
  }
}
