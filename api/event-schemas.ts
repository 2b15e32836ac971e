/**
 * The schemas of the release event stream (GET /v1/releases/{id}/events): each Server-Sent Event's
 * name and the JSON in its `data:` field, as api/events.ts writes them. They are documented as the
 * schema of the stream's items (see `eventStreamContent`), so a client can be generated; a unit test parses real stream
 * output with them, so document and stream cannot drift apart. A file of its own beside
 * api/schemas.ts (which owns the rest) to keep both short.
 */
import { z } from '@hono/zod-openapi';
import { PHASES } from '../workflows/messages.js';
import { statusFields } from './schemas.js';

const { timeline, decisions, ...snapshotFields } = statusFields;

/** The workflow's ReleaseStatus as the stream sends it (without the API's links). */
const workflowStatus = z.object(statusFields).openapi('WorkflowReleaseStatus');

export const streamStatusData = z.object(snapshotFields).openapi('ReleaseEventStatus', {
  description:
    'The current status without timeline and decisions (those follow as their own events).',
});

export const timelineEventData = timeline.element.openapi('ReleaseEventTimelineEntry', {
  description:
    'A timeline entry: type phase (with phase), weight (with weight), action, or error (sent as a warning event).',
});

export const decisionEventData = z
  .object({
    at: z.string(),
    type: z.literal('decision'),
    message: z.string(),
    step: z.number().int(),
    look: z.number().int(),
    verdict: z.enum(['pass', 'fail', 'inconclusive']),
    explanation: z.string(),
    action: z.string(),
    decision: decisions.element,
  })
  .openapi('ReleaseEventDecision', {
    description: "One analysis: the judge's verdict and explanation with its whole record.",
  });

export const verdictEventData = z
  .object({
    verdict: z.enum(['promoted', 'rolled back', 'rejected', 'failed', 'repaired', 'ended']),
    phase: z.enum(PHASES),
    outcome: z.string(),
    finishedAt: z.string().nullable(),
    status: workflowStatus,
  })
  .openapi('ReleaseEventVerdict', {
    description:
      'The release has ended (repaired: `canary repair` put a failed or terminated release in order; ended: terminated or cancelled without a verdict); the stream ends after it.',
  });

export const noticeEventData = z.object({ detail: z.string() }).openapi('ReleaseEventNotice', {
  description: 'Why the stream waits (unavailable) or ends (failure).',
});

/** The event names and what each one's data holds. */
export const STREAM_EVENTS = {
  status: streamStatusData,
  phase: timelineEventData,
  weight: timelineEventData,
  action: timelineEventData,
  warning: timelineEventData,
  decision: decisionEventData,
  verdict: verdictEventData,
  unavailable: noticeEventData,
  failure: noticeEventData,
} as const;
export type StreamEventName = keyof typeof STREAM_EVENTS;

const message = <N extends StreamEventName>(name: N, withId: boolean) =>
  z.object({
    event: z.literal(name),
    ...(withId
      ? { id: z.string().openapi({ description: 'A cursor to resume from with Last-Event-ID.' }) }
      : {}),
    data: STREAM_EVENTS[name],
  });

/** One message of the stream (OAS 3.2 itemSchema of text/event-stream). */
export const releaseEventSchema = z
  .discriminatedUnion('event', [
    message('status', false).extend({
      retry: z.number().int().openapi({ description: 'Reconnection delay in ms.' }),
    }),
    message('phase', true),
    message('weight', true),
    message('action', true),
    message('warning', true),
    message('decision', true),
    message('verdict', true),
    message('unavailable', false),
    message('failure', false),
  ])
  .openapi('ReleaseEvent', {
    description:
      'One Server-Sent Event: its `event:` name, `id:` (a cursor for Last-Event-ID) and `data:`, which is sent JSON-encoded and described here decoded. Comment lines (": keep-alive") may come between events and carry nothing.',
  });

/**
 * The OpenAPI content of the event stream response. OAS 3.1 has no way to describe the messages of
 * a stream, so the schema of one message sits under `x-itemSchema`, named after OAS 3.2's
 * `itemSchema` (the same thing): generators that know 3.2 read it when the document moves to 3.2.
 * The route registers `releaseEventSchema` as the component the reference names.
 */
export const eventStreamContent = {
  'text/event-stream': {
    schema: z.string().openapi({
      description: 'Server-Sent Events; each message is a ReleaseEvent (see x-itemSchema).',
    }),
    'x-itemSchema': { $ref: '#/components/schemas/ReleaseEvent' },
  },
};
