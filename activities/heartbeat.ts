/**
 * The one place activity code meets Temporal's activity context: heartbeats, the cancellation
 * signal, and waits that end the moment the activity is cancelled. A cancellation (an abort, a
 * workflow that moved on, a heartbeat timeout) reaches an activity only in the answer to a
 * heartbeat, so every long activity heartbeats at least once a second (`heartbeating`), and the
 * worker throttles heartbeats to about a second (worker/index.ts), so an abort lands within 1–2 s.
 * Outside an activity (unit tests, scripts) every helper here is a no-op or a plain wait.
 */
import { Context } from '@temporalio/activity';
import type { ProgressReporter } from './workloads/types.js';

/** How often `heartbeating` heartbeats while an activity runs. */
export const HEARTBEAT_INTERVAL_MS = 1000;

/** The running activity's context; undefined outside an activity (e.g. in unit tests). */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats progress when running inside an activity; a no-op elsewhere. */
export const heartbeat: ProgressReporter = (details) => {
  activityContext()?.heartbeat(details);
};

/** The activity's cancellation as an AbortSignal (it arrives with a heartbeat's answer); undefined outside an activity. */
export function cancellationSignal(): AbortSignal | undefined {
  return activityContext()?.cancellationSignal;
}

/** Throws the cancellation's reason (a CancelledFailure inside an activity) when it has arrived. */
export function throwIfCancelled(signal: AbortSignal | undefined = cancellationSignal()): void {
  if (signal?.aborted) throw cancellationError(signal);
}

function cancellationError(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('the activity was cancelled');
}

/**
 * Sleeps `ms`, or throws at once when the activity is cancelled meanwhile (Context.sleep: no
 * listener is left on the signal, so a polling loop does not pile them up). With an explicit
 * `signal`, that signal ends it instead; outside an activity it is a plain sleep.
 */
export function sleepUnlessCancelled(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) {
    const context = activityContext();
    return context ? context.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
  }
  if (signal.aborted) return Promise.reject(cancellationError(signal));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort(): void {
      clearTimeout(timer);
      reject(cancellationError(signal as AbortSignal));
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Waits `ms`, heartbeating `details` every interval so a cancellation reaches the activity, and
 * throws at once when it does.
 */
export async function waitHeartbeating(
  ms: number,
  details: (leftMs: number) => Record<string, unknown>,
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    heartbeat(details(until - Date.now()));
    await sleepUnlessCancelled(Math.min(HEARTBEAT_INTERVAL_MS, until - Date.now()));
  }
}

/**
 * Runs `work`, heartbeating every second while it runs (a slow query, a write the API server is
 * slow to answer): the heartbeat timeout then finds a lost worker within seconds, and never cuts
 * off a live one. Progress heartbeats from inside `work` go out as well; the worker throttles them.
 */
export async function heartbeating<T>(
  work: () => Promise<T>,
  details: Record<string, unknown> = { running: true },
): Promise<T> {
  if (!activityContext()) return work();
  const timer = setInterval(() => heartbeat(details), HEARTBEAT_INTERVAL_MS);
  try {
    heartbeat(details);
    return await work();
  } finally {
    clearInterval(timer);
  }
}
