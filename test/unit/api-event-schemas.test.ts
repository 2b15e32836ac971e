/**
 * The event stream as documented: every message runEventStream writes for a whole release — the
 * status snapshot, timeline events, decisions, an outage notice and the verdict — parses as the
 * ReleaseEvent schema of the OpenAPI document, field for field (api/event-schemas.ts).
 */
import { describe, expect, it } from 'vitest';
import { releaseEventSchema, STREAM_EVENTS } from '../../api/event-schemas.js';
import { runEventStream, START_CURSOR } from '../../api/events.js';
import type { AnalysisRecord, ReleaseStatus, TimelineEvent } from '../../workflows/messages.js';
import { unitApp } from '../harness/api.js';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();

const record: AnalysisRecord = {
  step: 1,
  look: 1,
  plannedLooks: 2,
  at: at(1000),
  windowStart: at(0),
  windowEnd: at(1000),
  missingBuckets: 0,
  decision: {
    verdict: 'pass',
    explanation: 'error rate 0.1% vs 0.1%',
    decidedBy: 'metric:errorRate',
    look: 1,
    plannedLooks: 2,
  },
  action: 'next step',
};

const timeline: TimelineEvent[] = [
  { at: at(0), type: 'phase', phase: 'Progressing', message: 'phase Progressing' },
  { at: at(10), type: 'weight', weight: 10, message: 'step 1/2: canary weight 10%' },
  { at: at(1000), type: 'decision', message: 'step 1 look 1: pass', decision: 0 },
  { at: at(1100), type: 'action', message: 'paused by alice' },
  { at: at(1200), type: 'error', message: 'router write retried' },
  { at: at(2000), type: 'phase', phase: 'Promoted', message: 'phase Promoted' },
];

function status(phase: ReleaseStatus['phase'], entries: TimelineEvent[]): ReleaseStatus {
  const done = phase === 'Promoted';
  return {
    releaseId: 'r1',
    service: 'checkout',
    namespace: 'shop',
    stableVersion: 'v1',
    canaryVersion: 'v2',
    phase,
    step: 1,
    totalSteps: 2,
    weights: { stable: 90, canary: 10 },
    windowEndsAt: done ? null : at(5000),
    windowRemainingMs: done ? null : 4000,
    extensionsUsed: 0,
    pendingGate: null,
    paused: false,
    decisions: entries.some((e) => e.type === 'decision') ? [record] : [],
    actions: [{ action: 'pause', actor: 'alice', at: at(1100), context: 'api', comment: 'look' }],
    timeline: entries,
    outcome: done ? 'promoted after 2 steps' : null,
    startedAt: at(0),
    finishedAt: done ? at(2000) : null,
    generation: 0,
  };
}

async function streamOfARelease(): Promise<Array<{ event?: string; id?: string; data: string }>> {
  const written: Array<{ event?: string; id?: string; data: string; retry?: number }> = [];
  const stream = {
    aborted: false,
    writeSSE: async (m: { event?: string; id?: string; data: string; retry?: number }) => {
      written.push(m);
    },
    write: async () => undefined,
  } as never;
  const reads: Array<ReleaseStatus | Error> = [
    status('Progressing', timeline.slice(0, 2)),
    new Error('14 UNAVAILABLE'),
    status('Progressing', timeline.slice(0, 5)),
    status('Promoted', timeline),
  ];
  await runEventStream(
    stream,
    {
      read: async () => {
        const next = reads.shift() as ReleaseStatus | Error;
        if (next instanceof Error) throw next;
        return next;
      },
      ended: async () => undefined,
      unavailable: async () => 'the Temporal server is unreachable',
    },
    START_CURSOR,
    { pollMs: 1, signal: new AbortController().signal },
  );
  return written;
}

describe('the documented event stream', () => {
  it('describes every message a release stream writes, field for field', async () => {
    const written = await streamOfARelease();
    expect(written.map((m) => m.event)).toEqual([
      'status',
      'phase',
      'weight',
      'unavailable',
      'decision',
      'action',
      'warning',
      'phase',
      'verdict',
    ]);
    for (const message of written) {
      const { data, ...rest } = message;
      const decoded = { ...rest, data: JSON.parse(data) as unknown };
      const parsed = releaseEventSchema.safeParse(decoded);
      expect(parsed.error?.issues ?? [], `${message.event}: ${data}`).toEqual([]);
      // nothing the stream sends is missing from the document (zod drops undocumented keys)
      expect(parsed.data, String(message.event)).toEqual(decoded);
    }
  });

  it('names every event the stream can write in the OpenAPI document', async () => {
    const document = (await (await unitApp().request('/openapi.json')).json()) as {
      paths: Record<string, { get: { responses: Record<string, { content: object }> } }>;
      components: { schemas: Record<string, { oneOf?: unknown[] }> };
    };
    const content = document.paths['/v1/releases/{id}/events']?.get.responses['200']?.content;
    expect(content).toMatchObject({
      'text/event-stream': { 'x-itemSchema': { $ref: '#/components/schemas/ReleaseEvent' } },
    });
    const variants = document.components.schemas.ReleaseEvent?.oneOf as Array<{
      properties: { event: { enum: string[] } };
    }>;
    expect(variants.map((v) => v.properties.event.enum[0]).sort()).toEqual(
      Object.keys(STREAM_EVENTS).sort(),
    );
  });
});
