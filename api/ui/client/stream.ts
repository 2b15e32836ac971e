/**
 * Following a release live through its event stream (GET /v1/releases/{id}/events). EventSource
 * cannot send an Authorization header, so the stream is read with fetch and the CLI's own SSE
 * parser; when it breaks it reconnects with Last-Event-ID, until the `verdict` event.
 */
import { parseSse } from '../../../cli/lib/events.js';
import { apiFetch } from './http.js';

export interface StreamHandlers {
  /** Any event (its name): the page re-reads what changed. */
  event(name: string): void;
  /** The connection state, for the "live" indicator. */
  state(state: 'live' | 'reconnecting' | 'ended'): void;
}

/** Follows until the verdict or until `signal` aborts. */
export async function follow(
  releaseId: string,
  handlers: StreamHandlers,
  signal: AbortSignal,
): Promise<void> {
  let lastId: string | undefined;
  let delay = 1000;
  while (!signal.aborted) {
    try {
      const response = await apiFetch(`/v1/releases/${encodeURIComponent(releaseId)}/events`, {
        headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        signal,
      });
      if (response.status === 401 || response.status === 403 || response.status === 404) {
        handlers.state('ended');
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      handlers.state('live');
      delay = 1000;
      for await (const message of parseSse(response.body)) {
        if (message.id) lastId = message.id;
        handlers.event(message.event);
        if (message.event === 'verdict' || message.event === 'failure') {
          handlers.state('ended');
          return;
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    handlers.state('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 15_000);
  }
}
