/**
 * Following a release's event stream until its verdict. The stream is Server-Sent Events; when it
 * breaks (an API restart, a proxy timeout) the follower reconnects with Last-Event-ID and carries
 * on where it stopped, so `canary start --wait` survives a rolling deploy of the API.
 */
import { ApiError, ConnectionError, type ApiClient } from './api-client.js';

/** Nothing arrived on the stream for too long: the connection is treated as broken. */
class IdleStream extends Error {
  constructor(ms: number) {
    super(`no data on the event stream for ${Math.round(ms / 1000)} s`);
    this.name = 'IdleStream';
  }
}

/**
 * The API reported, in the stream (an HTTP 200 response), that it cannot read the release: final,
 * not a connection problem, so it is never retried; it has no HTTP status of its own.
 */
export class StreamFailure extends Error {
  constructor(
    readonly releaseId: string,
    readonly detail: string,
  ) {
    super(`the API cannot read the status of release ${releaseId}: ${detail}`);
    this.name = 'StreamFailure';
  }
}

export interface ReleaseEvent {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

/** Splits an SSE byte stream into events (only what the canary API sends: event, id, data). */
export async function* parseSse(
  body: ReadableStream<Uint8Array>,
  onBytes?: () => void,
): AsyncGenerator<{ event: string; id?: string; data: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      onBytes?.();
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        let id: string | undefined;
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line === '' || line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = text;
          else if (field === 'id') id = text;
          else if (field === 'data') data.push(text);
        }
        if (data.length > 0)
          yield { event, ...(id !== undefined ? { id } : {}), data: data.join('\n') };
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

export interface FollowOptions {
  /** Called for every event, the final `verdict` included. */
  onEvent(event: ReleaseEvent): void;
  /** Called when the stream broke and the follower reconnects. */
  onReconnect?(attempt: number, reason: string): void;
  /** Consecutive failed reconnects before giving up (default 20, about a minute). */
  maxReconnects?: number;
  /** Delay before reconnect n (default min(500 ms × n, 3 s)). */
  backoffMs?(attempt: number): number;
  /**
   * Reconnect when nothing (not even the server's 15 s keep-alive) arrived for this long: a
   * half-open connection would otherwise block a CI job forever. Default 45 s.
   */
  idleTimeoutMs?: number;
  /**
   * For this long a 404 is retried, not final: a release just started through one API instance may
   * not be visible to another yet. Default 0 (404 is final at once).
   */
  notFoundGraceMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follows the release until its `verdict` event and returns that event's data. Throws ApiError
 * when the API refuses the stream (e.g. 404) and ConnectionError when it stays unreachable.
 */
export async function followRelease(
  client: ApiClient,
  releaseId: string,
  options: FollowOptions,
): Promise<Record<string, unknown>> {
  const maxReconnects = options.maxReconnects ?? 20;
  const backoff = options.backoffMs ?? ((n: number) => Math.min(500 * n, 3000));
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  const notFoundUntil = Date.now() + (options.notFoundGraceMs ?? 0);
  let lastEventId: string | undefined;
  let failures = 0;
  for (;;) {
    let reason: string;
    const connection = new AbortController();
    let idle: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => connection.abort(new IdleStream(idleTimeoutMs)), idleTimeoutMs);
    };
    try {
      touch();
      const response = await client.check(
        await client.fetch(`/v1/releases/${encodeURIComponent(releaseId)}/events`, {
          stream: true,
          signal: connection.signal,
          headers: {
            accept: 'text/event-stream',
            ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
          },
        }),
      );
      if (!response.body) throw new ConnectionError(client.apiUrl, 'the event stream has no body');
      for await (const raw of parseSse(response.body, touch)) {
        failures = 0;
        if (raw.id !== undefined) lastEventId = raw.id;
        let data: Record<string, unknown>;
        try {
          data = JSON.parse(raw.data) as Record<string, unknown>;
        } catch {
          data = { message: raw.data };
        }
        options.onEvent({
          event: raw.event,
          ...(raw.id !== undefined ? { id: raw.id } : {}),
          data,
        });
        if (raw.event === 'verdict') return data;
        if (raw.event === 'failure')
          throw new StreamFailure(releaseId, String(data.detail ?? 'unknown failure'));
      }
      reason = 'the event stream ended before the verdict';
    } catch (error) {
      // the API said no (404, 401): reconnecting will not help; a 503 may pass, and so may a 502/504
      // from a proxy in front of an API that is restarting. A StreamFailure (the API cannot read the
      // release) is none of the errors below, so it is thrown as it is.
      const notYetVisible =
        error instanceof ApiError && error.status === 404 && Date.now() < notFoundUntil;
      if (error instanceof ApiError && ![502, 503, 504].includes(error.status) && !notYetVisible)
        throw error;
      const cause = connection.signal.aborted ? connection.signal.reason : error;
      // a broken connection: refused (ConnectionError), cut mid-stream (undici's TypeError
      // "terminated"), or silent for too long (IdleStream)
      if (!(
        cause instanceof ApiError ||
        cause instanceof ConnectionError ||
        cause instanceof TypeError ||
        cause instanceof IdleStream
      ))
        throw error;
      reason = (cause as Error).message;
    } finally {
      if (idle) clearTimeout(idle);
      connection.abort();
    }
    failures += 1;
    if (failures > maxReconnects)
      throw new ConnectionError(
        client.apiUrl,
        `gave up following release ${releaseId} after ${maxReconnects} reconnects: ${reason}`,
      );
    options.onReconnect?.(failures, reason);
    await sleep(backoff(failures));
  }
}
