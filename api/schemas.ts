/**
 * The zod schemas of the API: they validate requests (as route validators) and, through
 * @hono/zod-openapi, are the OpenAPI document. The release spec body is core/spec.ts's
 * `releaseSpecSchema` itself, so the documented and the enforced spec can never drift. The status
 * schema enumerates the workflow's vocabulary (workflows/messages.ts) and is checked against its
 * `ReleaseStatus` type at compile time, for the same reason.
 */
import { z } from '@hono/zod-openapi';
import { DNS_LABEL_RE } from '../core/names.js';
import { RELEASE_ID_RE } from '../core/spec.js';
import type { Decision } from '../core/judge/decision.js';
import type { Verdict } from '../core/types.js';
import {
  ACTION_KINDS,
  GATE_KINDS,
  PHASES,
  TIMELINE_TYPES,
  type AnalysisRecord,
  type ReleaseStatus,
} from '../workflows/messages.js';

const releaseId = z
  .string()
  .regex(
    RELEASE_ID_RE,
    'must be 1-128 letters, digits, "-", "_" or "." (starting and ending with a letter or digit)',
  );

export const releaseIdParams = z.object({
  id: releaseId.openapi({ param: { name: 'id', in: 'path' }, example: 'checkout-v2-7f3k9q' }),
});

export const listQuery = z.strictObject({
  service: z
    .string()
    .regex(DNS_LABEL_RE, 'must be a DNS-1123 label')
    .optional()
    .openapi({
      param: { name: 'service', in: 'query' },
      description: 'Only releases of this service.',
    }),
  namespace: z
    .string()
    .regex(DNS_LABEL_RE, 'must be a DNS-1123 label')
    .optional()
    .openapi({
      param: { name: 'namespace', in: 'query' },
      description: 'Only releases in this Kubernetes namespace.',
    }),
  phase: z
    .enum(PHASES)
    .optional()
    .openapi({
      param: { name: 'phase', in: 'query' },
      description: 'Only releases whose last recorded phase is this.',
    }),
  pageSize: z.coerce
    .number()
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(20)
    .openapi({
      param: { name: 'pageSize', in: 'query' },
      description: 'Releases per page (1-100, default 20).',
    }),
  cursor: z
    .string()
    .max(4096, 'is too long')
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor returned as nextCursor')
    .optional()
    .openapi({
      param: { name: 'cursor', in: 'query' },
      description: 'The nextCursor of the previous page.',
    }),
});
export type ListQuery = z.output<typeof listQuery>;

/** The longest comment, reason or other free text a request may carry. */
export const MAX_TEXT = 1000;
export const commentBody = z
  .strictObject({
    comment: z
      .string()
      .max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`)
      .optional()
      .openapi({ description: 'Recorded with the action in the release history.' }),
  })
  .openapi('ActionComment');
export const abortBody = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(1, 'is required')
      .max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`)
      .openapi({
        description: 'Why the release is aborted; recorded in the release history and its outcome.',
      }),
  })
  .openapi('AbortReason');

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:canary-engine:problem:invalid-request' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    problems: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({
        description: 'Every invalid field with its path, e.g. schedule.steps[1].weight (400 only).',
      }),
  })
  .catchall(z.unknown())
  .openapi('Problem');

export const links = z
  .object({
    self: z.string().openapi({ description: 'The status URL.' }),
    events: z.string().openapi({ description: 'The Server-Sent Events stream.' }),
    temporalUi: z.string().openapi({ description: 'The release workflow in the Temporal UI.' }),
  })
  .openapi('ReleaseLinks');

export const releaseCreatedSchema = z
  .object({
    id: z.string(),
    created: z.boolean().openapi({
      description: 'False when the same release was already running (a retried start).',
    }),
    workflowId: z.string(),
    runId: z.string(),
    links,
  })
  .openapi('ReleaseStarted');

const weights = z.object({ stable: z.number(), canary: z.number() });
const VERDICTS = ['pass', 'fail', 'inconclusive'] as const satisfies readonly Verdict[];
const decision = z
  .object({
    verdict: z.enum(VERDICTS),
    explanation: z.string(),
    decidedBy: z.string(),
    look: z.number(),
    plannedLooks: z.number(),
  })
  .catchall(z.unknown())
  .openapi('Decision', {
    description: "The judge's decision with every number behind it (metrics, guards, alpha).",
  });

/** The fields of the workflow's ReleaseStatus (also the event stream's snapshots, api/event-schemas.ts). */
export const statusFields = {
  releaseId: z.string(),
  service: z.string(),
  namespace: z.string(),
  /** null until the workflow has read it from the stable Deployment (a spec without stableVersion). */
  stableVersion: z.string().nullable(),
  canaryVersion: z.string(),
  phase: z.enum(PHASES),
  step: z.number().int(),
  totalSteps: z.number().int(),
  weights,
  windowEndsAt: z.string().nullable(),
  windowRemainingMs: z.number().nullable(),
  extensionsUsed: z.number().int(),
  pendingGate: z
    .object({
      kind: z.enum(GATE_KINDS),
      step: z.number().int().optional(),
      reason: z.string(),
      since: z.string(),
      deadline: z.string(),
    })
    .nullable(),
  paused: z.boolean(),
  decisions: z.array(
    z.object({
      step: z.number().int(),
      look: z.number().int(),
      plannedLooks: z.number().int(),
      at: z.string(),
      windowStart: z.string(),
      windowEnd: z.string(),
      missingBuckets: z.number().int(),
      decision,
      action: z.string(),
    }),
  ),
  actions: z.array(
    z.object({
      action: z.enum(ACTION_KINDS),
      actor: z.string(),
      at: z.string(),
      comment: z.string().optional(),
      context: z.string(),
    }),
  ),
  timeline: z.array(
    z.object({
      at: z.string(),
      type: z.enum(TIMELINE_TYPES),
      message: z.string(),
      phase: z.enum(PHASES).optional(),
      weight: z.number().optional(),
      decision: z
        .number()
        .int()
        .optional()
        .openapi({ description: 'For a decision entry: its index in decisions.' }),
    }),
  ),
  outcome: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  generation: z.number().int(),
  rollbackRetry: z
    .object({
      attempts: z.number().int(),
      lastError: z.string(),
      nextAttemptAt: z.string().nullable(),
    })
    .optional()
    .openapi({
      description:
        'A rollback whose fast retries failed (phase RollbackRetrying): failed rounds, the last error, the next round.',
    }),
  bake: z
    .object({
      endsAt: z.string(),
      looks: z.number().int(),
      looksDone: z.number().int(),
      lastFinding: z.string().nullable(),
    })
    .optional()
    .openapi({ description: 'The bake after promotion (policies.promotion.bake).' }),
  repair: z
    .object({
      actor: z.string(),
      reason: z.string().optional(),
      startedAt: z.string(),
      finishedAt: z.string().nullable(),
      endedAs: z.string().openapi({
        description: 'How the repaired run had ended: FAILED, TERMINATED or TIMED_OUT.',
      }),
      repairedRunId: z.string(),
      done: z.array(z.string()).openapi({ description: 'What the repair did, in order.' }),
    })
    .optional()
    .openapi({ description: 'Set once `canary repair` has repaired (or tried to) the release.' }),
};

/** True only when A and B are the same type (mutual assignability is not enough). */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
type SchemaStatus = z.output<ReturnType<typeof z.object<typeof statusFields>>>;
type SchemaRecord = SchemaStatus['decisions'][number];
type DecisionHead = 'verdict' | 'explanation' | 'decidedBy' | 'look' | 'plannedLooks';
// Compile-time checks that the schema and the workflow's ReleaseStatus describe the same status. The
// judge's decision is documented by its head fields; the schema lets its details through unchecked.
export type StatusSchemaMatches = [
  Assert<Equal<Omit<SchemaStatus, 'decisions'>, Omit<ReleaseStatus, 'decisions'>>>,
  Assert<Equal<Omit<SchemaRecord, 'decision'>, Omit<AnalysisRecord, 'decision'>>>,
  Assert<Equal<Pick<SchemaRecord['decision'], DecisionHead>, Pick<Decision, DecisionHead>>>,
];

export const releaseStatusSchema = z
  .object({
    ...statusFields,
    id: z.string(),
    workflowId: z.string(),
    runId: z.string(),
    running: z.boolean().openapi({ description: 'Whether the release workflow is still running.' }),
    timeLeftMs: z.number().nullable().openapi({
      description:
        'Time left in the current observation window as of this response (frozen while paused).',
    }),
    links,
  })
  .openapi('ReleaseStatus');

export const releaseSummarySchema = z
  .object({
    id: z.string(),
    service: z.string().nullable(),
    namespace: z.string().nullable(),
    stableVersion: z.string().nullable().openapi({
      description:
        'Null until a release that reads its stable version from the workload has read it',
    }),
    canaryVersion: z.string().nullable(),
    phase: z.string().nullable(),
    weight: z.number().nullable(),
    workflowStatus: z.string().openapi({
      description: 'Temporal execution status: RUNNING, COMPLETED, FAILED, TERMINATED, ...',
    }),
    startedAt: z.string(),
    closedAt: z.string().nullable(),
    workflowId: z.string(),
    runId: z.string(),
    links,
  })
  .openapi('ReleaseSummary');

export const releaseListSchema = z
  .object({
    releases: z.array(releaseSummarySchema),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: 'Pass as cursor for the next page; null on the last page.' }),
  })
  .openapi('ReleaseList');

export const healthSchema = z.object({ status: z.literal('ok') }).openapi('Health');
export const readySchema = z
  .object({
    status: z.literal('ready'),
    temporal: z.object({ serverVersion: z.string().nullable() }),
  })
  .openapi('Ready');

export type ReleaseCreated = z.output<typeof releaseCreatedSchema>;
export type ReleaseStatusResponse = z.output<typeof releaseStatusSchema>;
export type ReleaseSummary = z.output<typeof releaseSummarySchema>;

const PROBLEM_DESCRIPTIONS = {
  400: 'Invalid request: every problem with its field path.',
  401: 'No valid bearer token (see WWW-Authenticate).',
  403: 'The token lacks the role this call needs.',
  404: 'No release with this id.',
  409: 'Conflict: another release runs for the service, the service is blocked until `canary repair`, the release has ended, the action does not apply now, or there is nothing to repair.',
  413: 'The request body is larger than the limit.',
  415: 'The request body is not application/json.',
  429: 'Temporal is rate limiting the API (temporal-rate-limited); retry after Retry-After seconds.',
  502: "Temporal refused the API's request as invalid (temporal-rejected).",
  503: "Temporal (or the release's worker) is unavailable, the API's Temporal namespace does not exist, or Temporal refused the API's credentials.",
} as const;
type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;
const problemContent = { 'application/problem+json': { schema: problemSchema } };
type ProblemEntry = { description: string; content: typeof problemContent };
/** A route that reaches Temporal (it may answer 503) may also meet Temporal's 429 and 502. */
type WithTemporal<S extends ProblemStatus> = S | (503 extends S ? 429 | 502 : never);

/**
 * OpenAPI response entries for the problem statuses a route can answer with; a route that lists
 * 503 (it reaches Temporal) also gets Temporal's 429 and 502 (api/problems.ts `temporalProblem`).
 */
export function problemResponses<const C extends readonly ProblemStatus[]>(
  ...codes: C
): { [K in WithTemporal<C[number]>]: ProblemEntry } {
  const all: ProblemStatus[] = codes.includes(503) ? [...codes, 429, 502] : [...codes];
  return Object.fromEntries(
    all.map((code) => [code, { description: PROBLEM_DESCRIPTIONS[code], content: problemContent }]),
  ) as { [K in WithTemporal<C[number]>]: ProblemEntry };
}

export const jsonContent = <T>(schema: T) => ({ 'application/json': { schema } });
