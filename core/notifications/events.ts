/**
 * The vocabulary of a release's announcements: the events a spec may subscribe a notification sink
 * to, which change of a release's state each one is, and how each reads as a Kubernetes Event
 * (reason, type) and as a title. The workflow (workflows/announce.ts) turns phase changes and
 * decisions into announcements with `announcementEvent`; the sinks (activities/notify/) and the
 * Kubernetes Events (activities/kube/events.ts) only render them. Pure and workflow-safe.
 */
import type { Weights } from '../types.js';

/**
 * Every event a release announces, in the order a release meets them. `started`: the pre-flight
 * passed and routing is prepared; `resumed`: progressing again after a gate or a pause.
 */
export const NOTIFICATION_EVENTS = [
  'started',
  'gatePending',
  'paused',
  'resumed',
  'stepPassed',
  'decisionInconclusive',
  'decisionFailed',
  'promoting',
  'baking',
  'promoted',
  'rollingBack',
  'rollbackRetrying',
  'rolledBack',
  'rejected',
  'failed',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** What a sink hears when its spec entry names no events: starts, gates, bad news and endings. */
export const DEFAULT_NOTIFICATION_EVENTS: readonly NotificationEvent[] = [
  'started',
  'gatePending',
  'decisionFailed',
  'rollbackRetrying',
  'rolledBack',
  'promoted',
  'rejected',
  'failed',
];

/** How an event reads: a short title, and its Kubernetes Event's reason and type. */
export interface EventLook {
  title: string;
  /** CamelCase, like the reasons `kubectl describe` shows (`ScalingReplicaSet`). */
  reason: string;
  type: 'Normal' | 'Warning';
}

export const EVENT_LOOKS: Readonly<Record<NotificationEvent, EventLook>> = {
  started: { title: 'started', reason: 'CanaryStarted', type: 'Normal' },
  gatePending: { title: 'waiting for approval', reason: 'CanaryAwaitingApproval', type: 'Normal' },
  paused: { title: 'paused', reason: 'CanaryPaused', type: 'Normal' },
  resumed: { title: 'progressing', reason: 'CanaryProgressing', type: 'Normal' },
  stepPassed: { title: 'step passed', reason: 'CanaryStepPassed', type: 'Normal' },
  decisionInconclusive: {
    title: 'analysis inconclusive',
    reason: 'CanaryInconclusive',
    type: 'Normal',
  },
  decisionFailed: { title: 'analysis failed', reason: 'CanaryAnalysisFailed', type: 'Warning' },
  promoting: { title: 'promoting', reason: 'CanaryPromoting', type: 'Normal' },
  baking: { title: 'baking', reason: 'CanaryBaking', type: 'Normal' },
  promoted: { title: 'promoted', reason: 'CanaryPromoted', type: 'Normal' },
  rollingBack: { title: 'rolling back', reason: 'CanaryRollingBack', type: 'Warning' },
  rollbackRetrying: {
    title: 'rollback retrying',
    reason: 'CanaryRollbackRetrying',
    type: 'Warning',
  },
  rolledBack: { title: 'rolled back', reason: 'CanaryRolledBack', type: 'Warning' },
  rejected: { title: 'rejected', reason: 'CanaryRejected', type: 'Warning' },
  failed: { title: 'failed', reason: 'CanaryFailed', type: 'Warning' },
};

/** A change of a release's state, as workflows/state.ts reports it. */
export type StateChange =
  | { kind: 'phase'; phase: string; previous: string; message: string }
  | { kind: 'decision'; verdict: string; message: string; index: number };

/** The event a change is, or undefined when it announces nothing (a phase outside the release's). */
export function announcementEvent(change: StateChange): NotificationEvent | undefined {
  if (change.kind === 'decision') {
    if (change.verdict === 'pass') return 'stepPassed';
    return change.verdict === 'fail' ? 'decisionFailed' : 'decisionInconclusive';
  }
  switch (change.phase) {
    case 'Progressing':
      return change.previous === 'Pending' ? 'started' : 'resumed';
    case 'AwaitingApproval':
      return 'gatePending';
    case 'Paused':
      return 'paused';
    case 'Promoting':
      return 'promoting';
    case 'Baking':
      return 'baking';
    case 'Promoted':
      return 'promoted';
    case 'RollingBack':
      return 'rollingBack';
    case 'RollbackRetrying':
      return 'rollbackRetrying';
    case 'RolledBack':
      return 'rolledBack';
    case 'Rejected':
      return 'rejected';
    case 'Failed':
      return 'failed';
    default:
      return undefined;
  }
}

/** One decision as an announcement carries it (the judge's record, without its per-metric detail). */
export interface AnnouncedDecision {
  step: number;
  look: number;
  plannedLooks: number;
  verdict: string;
  decidedBy: string;
  /** The judge's explanation, with its numbers. */
  explanation: string;
  /** What the release did with it ("next step", "roll back", …). */
  action: string;
}

/** What a release announces: the event and the release as it stands. */
export interface Announcement {
  /** The same for every attempt to deliver it (receivers may deduplicate by it). */
  id: string;
  event: NotificationEvent;
  /** When it happened (workflow time), ISO 8601. */
  at: string;
  releaseId: string;
  service: string;
  namespace: string;
  stableVersion: string | null;
  canaryVersion: string;
  phase: string;
  step: number;
  totalSteps: number;
  weights: Weights;
  /** The timeline's line for it: the phase change's message or the decision's line, with its numbers. */
  message: string;
  decision: AnnouncedDecision | null;
  /** The release's outcome, once it has one. */
  outcome: string | null;
}

/** The sink names of a spec's `notifications` that subscribed to `event`, each once. */
export function subscribedSinks(
  notifications: readonly { sink: string; events?: readonly string[] }[],
  event: NotificationEvent,
): string[] {
  const sinks = notifications
    .filter((n) => (n.events ?? DEFAULT_NOTIFICATION_EVENTS).includes(event))
    .map((n) => n.sink);
  return [...new Set(sinks)];
}

/** "web v1 → v2 (team-a): rolled back", the first line of every rendering. */
export function announcementHeadline(a: Announcement): string {
  const versions = `${a.stableVersion ?? '?'} → ${a.canaryVersion}`;
  return `${a.service} ${versions} (${a.namespace}): ${EVENT_LOOKS[a.event].title}`;
}

/** The Kubernetes Event's message: the line with the numbers, and where the release stands. */
export function kubeEventMessage(a: Announcement): string {
  const where = `step ${a.step}/${a.totalSteps}, canary ${a.weights.canary}%, release ${a.releaseId}`;
  const text = `${a.message} (${where})`;
  // the API server keeps messages up to 1 kB (events.k8s.io's limit for `note`)
  return text.length > 1024 ? `${text.slice(0, 1023)}…` : text;
}
