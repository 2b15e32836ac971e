/**
 * The release event stream: which events a status adds since a cursor (pure), and the loop that
 * polls the status and writes them as Server-Sent Events until the release ends.
 *
 * Event ids are cursors `<ms>-<n>-<d>`: the last timeline entry sent (its time and its position
 * among entries with the same time) and how many decisions were sent. They survive the workflow's
 * timeline trimming and continue-as-new, so a client resumes exactly with `Last-Event-ID`.
 * A decision's timeline entry names its record by index (`TimelineEvent.decision`); decisions
 * whose entries were trimmed away before they were sent are still sent, in order.
 */
import type { SSEStreamingApi } from 'hono/streaming';
import { describeDecision } from '../core/policy.js';
import type { AnalysisRecord, ReleaseStatus, TimelineEvent } from '../workflows/messages.js';

export interface StreamCursor {
  /** Epoch ms and ordinal of the last timeline entry sent; -1 before the first. */
  ms: number;
  ord: number;
  /** Decisions sent. */
  decisions: number;
}

export const START_CURSOR: StreamCursor = { ms: -1, ord: -1, decisions: 0 };

export function formatCursor(cursor: StreamCursor): string {
  return `${cursor.ms}-${cursor.ord}-${cursor.decisions}`;
}

/** Parses a Last-Event-ID; anything else starts from the beginning. */
export function parseCursor(text: string | undefined): StreamCursor {
  const match = text ? /^(-1|\d{1,15})-(-1|\d{1,6})-(\d{1,6})$/.exec(text.trim()) : null;
  if (!match) return START_CURSOR;
  return { ms: Number(match[1]), ord: Number(match[2]), decisions: Number(match[3]) };
}

/** SSE event names: the timeline's types, with "error" renamed (EventSource reserves it). */
const EVENT_NAMES: Record<TimelineEvent['type'], string> = {
  phase: 'phase',
  weight: 'weight',
  decision: 'decision',
  action: 'action',
  error: 'warning',
};

export interface StreamEvent {
  event: string;
  id: string;
  data: Record<string, unknown>;
}

function decisionData(
  record: AnalysisRecord,
  at: string,
  message?: string,
): Record<string, unknown> {
  return {
    at,
    type: 'decision',
    message: message ?? describeDecision(record),
    step: record.step,
    look: record.look,
    verdict: record.decision.verdict,
    explanation: record.decision.explanation,
    action: record.action,
    decision: record,
  };
}

/** The events `status` holds after `cursor`, in order, and the cursor after the last of them. */
export function eventsSince(
  status: ReleaseStatus,
  from: StreamCursor,
): { events: StreamEvent[]; cursor: StreamCursor } {
  const events: StreamEvent[] = [];
  const cursor = { ...from };
  const sendDecision = (index: number, at?: string, message?: string): void => {
    const record = status.decisions[index] as AnalysisRecord;
    cursor.decisions = index + 1;
    events.push({
      event: 'decision',
      id: formatCursor(cursor),
      data: decisionData(record, at ?? record.at, message),
    });
  };
  // decisions older than every entry left in the timeline: their entries were trimmed away unsent
  const firstIndexed = status.timeline.find(
    (entry) => entry.type === 'decision' && entry.decision !== undefined,
  )?.decision;
  if (firstIndexed !== undefined)
    while (cursor.decisions < Math.min(firstIndexed, status.decisions.length))
      sendDecision(cursor.decisions);
  let previousMs = Number.NaN;
  let ord = -1;
  for (const entry of status.timeline) {
    const ms = Date.parse(entry.at);
    ord = ms === previousMs ? ord + 1 : 0;
    previousMs = ms;
    if (ms < from.ms || (ms === from.ms && ord <= from.ord)) continue;
    // entries recorded before decisions carried an index pair with the next decision not yet sent
    const index = entry.type === 'decision' ? (entry.decision ?? cursor.decisions) : undefined;
    if (index !== undefined && index >= cursor.decisions && index < status.decisions.length) {
      while (cursor.decisions < index) sendDecision(cursor.decisions);
      cursor.ms = ms;
      cursor.ord = ord;
      sendDecision(index, entry.at, entry.message);
      continue;
    }
    cursor.ms = ms;
    cursor.ord = ord;
    events.push({ event: EVENT_NAMES[entry.type], id: formatCursor(cursor), data: { ...entry } });
  }
  // decisions whose timeline entries were trimmed away, in a timeline without indexed decision entries
  while (cursor.decisions < status.decisions.length) sendDecision(cursor.decisions);
  return { events, cursor };
}

/**
 * Promoted → "promoted"; RolledBack → "rolled back"; Rejected → "rejected" (the pre-flight refused
 * it, nothing changed); Failed → "failed"; Repaired → "repaired": defined exactly for the
 * TERMINAL_PHASES, so it also says whether a status is terminal.
 */
export function verdictOf(
  status: ReleaseStatus,
): 'promoted' | 'rolled back' | 'rejected' | 'failed' | 'repaired' | undefined {
  switch (status.phase) {
    case 'Promoted':
      return 'promoted';
    case 'RolledBack':
      return 'rolled back';
    case 'Rejected':
      return 'rejected';
    case 'Failed':
      return 'failed';
    case 'Repaired':
      return 'repaired';
    default:
      return undefined;
  }
}

export interface StreamSource {
  /** The release's current status (it may be a few hundred ms old); throws when it cannot be read now. */
  read(): Promise<ReleaseStatus>;
  /**
   * The release's final status, read afresh (bypassing any cache), when its workflow no longer runs
   * this release — closed, or the workflow id now runs another release; undefined while it still
   * does. Checked now and then: a terminated release never reaches a terminal phase, and a cached
   * read may still show running a release that finished a moment ago.
   */
  ended(): Promise<ReleaseStatus | undefined>;
  /** The 503-style detail for an error that means "unavailable" (the stream waits), else undefined (the stream ends). */
  unavailable(error: unknown): Promise<string | undefined>;
  /** Records an error that ends the stream, for the operator (the client gets a fixed message). */
  failed?(error: unknown): void;
}

export interface StreamOptions {
  pollMs: number;
  /** Ends the stream (client gone or server shutting down). */
  signal: AbortSignal;
  heartbeatMs?: number;
  /** How many polls between checks whether the release has ended (`StreamSource.ended`). */
  livenessEvery?: number;
  /**
   * The release was found not running (e.g. terminated): check whether it has ended at the first
   * poll already, so the stream ends at once instead of after `livenessEvery` polls.
   */
  foundNotRunning?: boolean;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Writes the stream: a `status` snapshot first, then every new event as it appears, and a final
 * `verdict` event (with the whole status) when the release ends; then returns.
 */
export async function runEventStream(
  stream: SSEStreamingApi,
  source: StreamSource,
  start: StreamCursor,
  options: StreamOptions,
): Promise<void> {
  const { signal } = options;
  const livenessEvery = options.livenessEvery ?? 10;
  let cursor = start;
  let polls = 0;
  let lastWrite = Date.now();
  let outage: string | undefined;
  const writeEvents = async (status: ReleaseStatus): Promise<void> => {
    const { events, cursor: next } = eventsSince(status, cursor);
    for (const event of events)
      await stream.writeSSE({ event: event.event, id: event.id, data: JSON.stringify(event.data) });
    cursor = next;
    if (events.length > 0) lastWrite = Date.now();
  };
  while (!signal.aborted && !stream.aborted) {
    let status: ReleaseStatus;
    try {
      status = await source.read();
    } catch (error) {
      const detail = await source.unavailable(error);
      if (detail === undefined) {
        // internal error text stays in the API's log, as for every other unexpected error
        source.failed?.(error);
        await stream.writeSSE({
          event: 'failure',
          data: JSON.stringify({
            detail: 'the release status cannot be read; the API log has the details',
          }),
        });
        return;
      }
      if (outage === undefined)
        await stream.writeSSE({ event: 'unavailable', data: JSON.stringify({ detail }) });
      outage = detail;
      await sleep(options.pollMs * 4, signal);
      continue;
    }
    outage = undefined;
    polls += 1;
    if (polls === 1) {
      const { timeline: _timeline, decisions: _decisions, ...snapshot } = status;
      await stream.writeSSE({ event: 'status', data: JSON.stringify(snapshot), retry: 2000 });
    }
    await writeEvents(status);
    let final: ReleaseStatus | undefined;
    if (verdictOf(status) !== undefined) final = status;
    else if ((polls === 1 && options.foundNotRunning) || polls % livenessEvery === 0) {
      // a failed check is no answer: the next one comes `livenessEvery` polls later
      final = await source.ended().catch(() => undefined);
      if (final) await writeEvents(final);
    }
    if (final) {
      await stream.writeSSE({
        event: 'verdict',
        id: formatCursor(cursor),
        data: JSON.stringify({
          verdict: verdictOf(final) ?? 'ended',
          phase: final.phase,
          outcome:
            final.outcome ??
            'the release workflow ended without a verdict (terminated or cancelled)',
          finishedAt: final.finishedAt,
          status: final,
        }),
      });
      return;
    }
    if (Date.now() - lastWrite >= (options.heartbeatMs ?? 15_000)) {
      await stream.write(': keep-alive\n\n');
      lastWrite = Date.now();
    }
    await sleep(options.pollMs, signal);
  }
}
