/**
 * The announce activity: delivers one announcement to one target — a notification sink of the
 * operator's, or a Kubernetes Event on the release's stable Deployment. The workflow starts one
 * per target and does not wait for it (workflows/announce.ts); Temporal retries a failed attempt
 * with backoff. On the last attempt, or when retrying cannot help (a 4xx, a missing secret), the
 * activity returns `delivered: false` with the reason and the attempts made instead of failing,
 * so the workflow records exactly what happened and never sees a failure to explain.
 */
import { activityContext } from '../heartbeat.js';
import { EngineError } from '../../core/errors.js';
import type { Announcement } from '../../core/notifications/events.js';
import { toActivityFailure } from '../errors.js';
import type { EventTarget } from '../kube/events.js';
import type { NotificationSink } from './types.js';

/** Where one announcement goes. */
export type AnnounceTarget = { kind: 'sink'; sink: string } | ({ kind: 'kubeEvent' } & EventTarget);

export interface AnnounceInput {
  announcement: Announcement;
  target: AnnounceTarget;
  /** The retry policy's maximumAttempts: the attempt that reports instead of failing. */
  maxAttempts: number;
}

export type AnnounceResult =
  | { delivered: true; attempts: number; status?: number }
  | { delivered: false; attempts: number; reason: string };

export interface AnnounceActivities {
  announce(input: AnnounceInput): Promise<AnnounceResult>;
}

/** What the announce activity delivers with; the worker builds it from the operator's config. */
export interface AnnounceDeps {
  /** The sink of that name; throws a non-retryable error for a name the worker does not have. */
  sinkFor(name: string): NotificationSink;
  /** Records Kubernetes Events; absent on a worker without a cluster (the sandbox). */
  events?: () => { record(a: Announcement, target: EventTarget): Promise<void> };
}

/** A worker built without cluster access for events (test stacks): reported at once, not retried. */
class NoEventRecorderError extends EngineError {
  constructor() {
    super(
      'this worker records no Kubernetes Events (it was built without cluster access for them)',
      {
        kind: 'config',
        nonRetryable: true,
      },
    );
  }
}

async function deliver(deps: AnnounceDeps, input: AnnounceInput): Promise<number | undefined> {
  const { target, announcement } = input;
  switch (target.kind) {
    case 'sink':
      return (await deps.sinkFor(target.sink).deliver(announcement)).status;
    case 'kubeEvent': {
      if (!deps.events) throw new NoEventRecorderError();
      const { namespace, deployment } = target;
      await deps.events().record(announcement, { namespace, deployment });
      return undefined;
    }
  }
}

export function createAnnounceActivities(deps: AnnounceDeps): AnnounceActivities {
  return {
    async announce(input) {
      const attempts = activityContext()?.info.attempt ?? 1;
      try {
        const status = await deliver(deps, input);
        return { delivered: true, attempts, ...(status !== undefined ? { status } : {}) };
      } catch (error) {
        const final =
          attempts >= input.maxAttempts || (error instanceof EngineError && error.nonRetryable);
        if (!final) throw toActivityFailure(error);
        const reason = error instanceof EngineError ? error.message : String(error);
        return { delivered: false, attempts, reason };
      }
    },
  };
}
