/**
 * The pure parts of the event stream and the metrics: which events a status adds since a cursor,
 * how cursors survive timeline trimming, and that each release and decision is counted once.
 */
import { describe, expect, it } from 'vitest';
import {
  eventsSince,
  formatCursor,
  parseCursor,
  START_CURSOR,
  verdictOf,
} from '../../api/events.js';
import { ApiMetrics } from '../../api/metrics.js';
import { describeDecision } from '../../core/policy.js';
import {
  PHASES,
  TERMINAL_PHASES,
  type AnalysisRecord,
  type ReleaseStatus,
  type TimelineEvent,
} from '../../workflows/messages.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();

function decision(step: number, verdict: 'pass' | 'fail'): AnalysisRecord {
  return {
    step,
    look: step,
    plannedLooks: 2,
    at: at(step * 1000),
    windowStart: at(0),
    windowEnd: at(step * 1000),
    missingBuckets: 0,
    decision: {
      verdict,
      explanation: `${verdict} at ${step}`,
      decidedBy: 'metric:errorRate',
      look: step,
      plannedLooks: 2,
    },
    action: verdict === 'pass' ? 'next step' : 'roll back',
  };
}

function status(
  timeline: TimelineEvent[],
  decisions: AnalysisRecord[] = [],
  phase: ReleaseStatus['phase'] = 'Progressing',
): ReleaseStatus {
  return {
    releaseId: 'r1',
    service: 'checkout',
    namespace: 'default',
    stableVersion: 'v1',
    canaryVersion: 'v2',
    phase,
    step: 1,
    totalSteps: 2,
    weights: { stable: 90, canary: 10 },
    windowEndsAt: null,
    windowRemainingMs: null,
    extensionsUsed: 0,
    pendingGate: null,
    paused: false,
    decisions,
    actions: [],
    timeline,
    outcome: null,
    startedAt: at(0),
    finishedAt: null,
    generation: 0,
  };
}

const timeline: TimelineEvent[] = [
  { at: at(0), type: 'phase', phase: 'Pending', message: 'release r1' },
  { at: at(0), type: 'phase', phase: 'Progressing', message: 'phase Progressing' },
  { at: at(10), type: 'weight', weight: 10, message: 'step 1/2: canary weight 10%' },
  { at: at(1000), type: 'decision', message: 'step 1 look 1: pass' },
  { at: at(1000), type: 'weight', weight: 50, message: 'step 2/2: canary weight 50%' },
];

describe('eventsSince', () => {
  it('turns the whole timeline into events from the start, decisions with their records', () => {
    const { events, cursor } = eventsSince(status(timeline, [decision(1, 'pass')]), START_CURSOR);
    expect(events.map((e) => e.event)).toEqual(['phase', 'phase', 'weight', 'decision', 'weight']);
    expect(events[3]?.data).toMatchObject({
      verdict: 'pass',
      explanation: 'pass at 1',
      step: 1,
      action: 'next step',
    });
    expect(events.map((e) => e.id)).toEqual([
      `${T0}-0-0`,
      `${T0}-1-0`,
      `${T0 + 10}-0-0`,
      `${T0 + 1000}-0-1`,
      `${T0 + 1000}-1-1`,
    ]);
    expect(cursor).toEqual({ ms: T0 + 1000, ord: 1, decisions: 1 });
  });

  it('returns only what came after the cursor, also within entries of the same millisecond', () => {
    const { events } = eventsSince(
      status(timeline, [decision(1, 'pass')]),
      parseCursor(`${T0}-0-0`),
    );
    expect(events.map((e) => e.data.message)).toEqual([
      'phase Progressing',
      'step 1/2: canary weight 10%',
      'step 1 look 1: pass',
      'step 2/2: canary weight 50%',
    ]);
    expect(
      eventsSince(status(timeline, [decision(1, 'pass')]), parseCursor(`${T0 + 1000}-1-1`)).events,
    ).toEqual([]);
  });

  it('still sends decisions whose timeline entries were trimmed away', () => {
    const trimmed = timeline.slice(4);
    const { events } = eventsSince(
      status(trimmed, [decision(1, 'pass'), decision(2, 'fail')]),
      parseCursor(`${T0 + 10}-0-0`),
    );
    expect(events.map((e) => e.event)).toEqual(['weight', 'decision', 'decision']);
    expect(events.slice(1).map((e) => e.data.verdict)).toEqual(['pass', 'fail']);
  });

  it('pairs each decision with its own timeline entry by index when the entry of an unsent decision was trimmed away', () => {
    const records = [decision(1, 'pass'), decision(2, 'fail')];
    // the 200-entry trim dropped everything up to and including decision 0's entry
    const trimmed: TimelineEvent[] = [
      { at: at(1500), type: 'weight', weight: 50, message: 'step 2/2: canary weight 50%' },
      {
        at: at(2000),
        type: 'decision',
        decision: 1,
        message: describeDecision(records[1] as AnalysisRecord),
      },
      { at: at(2000), type: 'phase', phase: 'RollingBack', message: 'rolling back' },
    ];
    const { events, cursor } = eventsSince(status(trimmed, records), START_CURSOR);
    expect(events.map((e) => [e.event, e.data.step ?? null, e.data.verdict ?? null])).toEqual([
      ['decision', 1, 'pass'],
      ['weight', null, null],
      ['decision', 2, 'fail'],
      ['phase', null, null],
    ]);
    for (const event of events.filter((e) => e.event === 'decision')) {
      expect(event.data.message).toBe(describeDecision(event.data.decision as AnalysisRecord));
    }
    expect(events[0]?.data.at).toBe((records[0] as AnalysisRecord).at);
    expect(events[2]?.data.at).toBe(at(2000));
    // the trimmed decision's id keeps the cursor before the weight entry, so a resume there loses nothing
    expect(events.map((e) => e.id)).toEqual([
      `-1--1-1`,
      `${T0 + 1500}-0-1`,
      `${T0 + 2000}-0-2`,
      `${T0 + 2000}-1-2`,
    ]);
    expect(
      eventsSince(status(trimmed, records), parseCursor(events[0]?.id)).events.map((e) => e.event),
    ).toEqual(['weight', 'decision', 'phase']);
    expect(cursor).toEqual({ ms: T0 + 2000, ord: 1, decisions: 2 });
  });

  it('renames the timeline\'s error entries to warning events (EventSource reserves "error")', () => {
    const { events } = eventsSince(
      status([{ at: at(5), type: 'error', message: 'ignored approve signal' }]),
      START_CURSOR,
    );
    expect(events[0]?.event).toBe('warning');
  });
});

describe('stream cursors', () => {
  it('round-trip through Last-Event-ID', () => {
    const cursor = { ms: T0, ord: 3, decisions: 2 };
    expect(parseCursor(formatCursor(cursor))).toEqual(cursor);
  });

  it('start from the beginning for anything that is not a cursor', () => {
    for (const text of [undefined, '', 'abc', '1-2', '1-2-3-4', '9999999999999999-0-0'])
      expect(parseCursor(text)).toEqual(START_CURSOR);
  });
});

describe('verdictOf', () => {
  it('names the verdict of each terminal phase and none before', () => {
    expect(verdictOf(status([], [], 'Promoted'))).toBe('promoted');
    expect(verdictOf(status([], [], 'RolledBack'))).toBe('rolled back');
    expect(verdictOf(status([], [], 'Failed'))).toBe('failed');
    expect(verdictOf(status([], [], 'Rejected'))).toBe('rejected');
    expect(verdictOf(status([], [], 'RollingBack'))).toBeUndefined();
    expect(verdictOf(status([], [], 'RollbackRetrying'))).toBeUndefined();
    expect(verdictOf(status([], [], 'Baking'))).toBeUndefined();
  });

  it('is defined exactly for the terminal phases, so the stream can tell terminal by it', () => {
    for (const phase of PHASES)
      expect(verdictOf(status([], [], phase)) !== undefined).toBe(TERMINAL_PHASES.includes(phase));
  });
});

describe('ApiMetrics', () => {
  it('counts a release end and each decision once however often the status is read', async () => {
    const metrics = new ApiMetrics({ processMetrics: false });
    const running = status(timeline, [decision(1, 'pass')]);
    metrics.observeStatus(running);
    metrics.observeStatus(running);
    const done = {
      ...status(timeline, [decision(1, 'pass'), decision(2, 'fail')], 'RolledBack'),
      weights: { stable: 100, canary: 0 },
    };
    metrics.observeStatus(done);
    metrics.observeStatus(done);
    const { body } = await metrics.render();
    expect(body).toContain('canary_releases_rolled_back_total{service="checkout"} 1');
    expect(body).toContain('canary_analysis_verdicts_total{verdict="pass"} 1');
    expect(body).toContain('canary_analysis_verdicts_total{verdict="fail"} 1');
    expect(body).toContain('canary_weight_percent{service="checkout"} 0');
    expect(body).not.toContain('canary_releases_promoted_total{');
  });

  it('counts a release the pre-flight rejected under its own name', async () => {
    const metrics = new ApiMetrics({ processMetrics: false });
    metrics.observeStatus(status([], [], 'Rejected'));
    const { body } = await metrics.render();
    expect(body).toContain('canary_releases_rejected_total{service="checkout"} 1');
    expect(body).not.toContain('canary_releases_failed_total{');
  });

  it("keeps the weight of the service's newest release when an older, finished release is read", async () => {
    const metrics = new ApiMetrics({ processMetrics: false });
    const current = {
      ...status(timeline),
      releaseId: 'r2',
      startedAt: at(60_000),
      weights: { stable: 50, canary: 50 },
    };
    const old = { ...status(timeline, [], 'Promoted'), weights: { stable: 100, canary: 0 } };
    metrics.observeStatus(current);
    metrics.observeStatus(old);
    const { body } = await metrics.render();
    expect(body).toContain('canary_weight_percent{service="checkout"} 50');
    expect(body).toContain('canary_releases_promoted_total{service="checkout"} 1');
  });

  it('includes process metrics unless asked not to', async () => {
    expect((await new ApiMetrics().render()).body).toContain('process_cpu_user_seconds_total');
  });
});

/** A stand-in for Hono's SSE stream that records what the event stream writes. */
function recordingStream() {
  const written: Array<{ event?: string; data: string }> = [];
  return {
    written,
    stream: {
      aborted: false,
      writeSSE: async (m: { event?: string; data: string }) => {
        written.push(m);
      },
    } as never,
  };
}

describe('an event stream that cannot read its release', () => {
  it('ends with a fixed failure message for the client and hands the real error to the log', async () => {
    const { runEventStream } = await import('../../api/events.js');
    const { stream, written } = recordingStream();
    const logged: unknown[] = [];
    const source = {
      read: async () => {
        throw new Error('14 UNAVAILABLE: internal gRPC detail at 10.0.0.7:7233');
      },
      ended: async () => undefined,
      unavailable: async () => undefined,
      failed: (error: unknown) => {
        logged.push(error);
      },
    };
    await runEventStream(stream, source, START_CURSOR, {
      pollMs: 10,
      signal: new AbortController().signal,
    });
    expect(written).toEqual([
      {
        event: 'failure',
        data: JSON.stringify({
          detail: 'the release status cannot be read; the API log has the details',
        }),
      },
    ]);
    expect((logged[0] as Error).message).toContain('internal gRPC detail');
  });
});

describe('an event stream whose release ends between a status read and a liveness check', () => {
  it('reads the final status again and reports the real verdict, not "ended"', async () => {
    const { runEventStream } = await import('../../api/events.js');
    const { stream, written } = recordingStream();
    const final: TimelineEvent = {
      at: at(2000),
      type: 'phase',
      phase: 'Promoted',
      message: 'phase Promoted',
    };
    const promoted = {
      ...status([...timeline, final], [decision(1, 'pass')], 'Promoted'),
      outcome: 'promoted v2',
      weights: { stable: 100, canary: 0 },
    };
    let finalReads = 0;
    const source = {
      // a cached read keeps showing the release running; by the liveness check its workflow has completed
      read: async () => status(timeline, [decision(1, 'pass')]),
      ended: async () => {
        finalReads += 1;
        return promoted;
      },
      unavailable: async () => undefined,
    };
    await runEventStream(stream, source, START_CURSOR, {
      pollMs: 1,
      livenessEvery: 1,
      signal: new AbortController().signal,
    });
    const last = written.at(-1) as { event?: string; data: string };
    expect(last.event).toBe('verdict');
    expect(JSON.parse(last.data)).toMatchObject({
      verdict: 'promoted',
      phase: 'Promoted',
      outcome: 'promoted v2',
    });
    expect(finalReads).toBe(1);
    // the events only the final status holds are sent before the verdict
    expect(written.at(-2)).toMatchObject({ event: 'phase', data: JSON.stringify(final) });
  });

  it('ends at the first poll with the verdict "ended" when the release was found not running (terminated)', async () => {
    const { runEventStream } = await import('../../api/events.js');
    const { stream, written } = recordingStream();
    let reads = 0;
    let checks = 0;
    const source = {
      read: async () => {
        reads += 1;
        return status(timeline);
      },
      ended: async () => {
        checks += 1;
        return status(timeline);
      },
      unavailable: async () => undefined,
    };
    await runEventStream(stream, source, START_CURSOR, {
      pollMs: 1,
      foundNotRunning: true,
      signal: new AbortController().signal,
    });
    const last = written.at(-1) as { event?: string; data: string };
    expect(last.event).toBe('verdict');
    expect(JSON.parse(last.data)).toMatchObject({ verdict: 'ended', phase: 'Progressing' });
    expect({ reads, checks }).toEqual({ reads: 1, checks: 1 });
  });

  it('checks whether a running release has ended only every livenessEvery polls', async () => {
    const { runEventStream } = await import('../../api/events.js');
    const { stream } = recordingStream();
    let reads = 0;
    const source = {
      read: async () => {
        reads += 1;
        return status(timeline);
      },
      ended: async () => status(timeline),
      unavailable: async () => undefined,
    };
    await runEventStream(stream, source, START_CURSOR, {
      pollMs: 1,
      livenessEvery: 3,
      signal: new AbortController().signal,
    });
    expect(reads).toBe(3);
  });

  it('keeps streaming when the check whether the release has ended fails', async () => {
    const { runEventStream } = await import('../../api/events.js');
    const { stream, written } = recordingStream();
    let checks = 0;
    const source = {
      read: async () => status(timeline),
      ended: async () => {
        checks += 1;
        if (checks === 1) throw new Error('4 DEADLINE_EXCEEDED');
        return status(timeline);
      },
      unavailable: async () => undefined,
    };
    await runEventStream(stream, source, START_CURSOR, {
      pollMs: 1,
      livenessEvery: 1,
      signal: new AbortController().signal,
    });
    expect(checks).toBe(2);
    expect(JSON.parse((written.at(-1) as { data: string }).data)).toMatchObject({
      verdict: 'ended',
    });
  });

  it('says "ended" when the workflow is gone without reaching a terminal phase (terminated)', async () => {
    const { runEventStream } = await import('../../api/events.js');
    const { stream, written } = recordingStream();
    const source = {
      read: async () => status(timeline),
      ended: async () => status(timeline),
      unavailable: async () => undefined,
    };
    await runEventStream(stream, source, START_CURSOR, {
      pollMs: 1,
      livenessEvery: 1,
      signal: new AbortController().signal,
    });
    const last = written.at(-1) as { event?: string; data: string };
    expect(last.event).toBe('verdict');
    expect(JSON.parse(last.data)).toMatchObject({ verdict: 'ended', phase: 'Progressing' });
  });
});

describe('an event stream whose signal is already aborted', () => {
  it('writes nothing and returns at once', async () => {
    const { runEventStream } = await import('../../api/events.js');
    const { stream, written } = recordingStream();
    let reads = 0;
    const source = {
      read: async () => {
        reads += 1;
        return status(timeline);
      },
      ended: async () => undefined,
      unavailable: async () => undefined,
    };
    await runEventStream(stream, source, START_CURSOR, { pollMs: 1, signal: AbortSignal.abort() });
    expect({ reads, written }).toEqual({ reads: 0, written: [] });
  });
});
