/**
 * Listing releases through Temporal visibility: the query (built only from validated values), the
 * opaque cursor around the server's page token, and the decoding of raw execution records.
 */
import { safeValue } from '../client/reads.js';
import { invalidRequest } from './problems.js';
import type { ListQuery } from './schemas.js';
import { STATUS_WORKFLOW_TYPES } from '../workflows/messages.js';

/**
 * The visibility query for a list. Temporal's SQL visibility has no ORDER BY; it returns running
 * workflows first, newest started first, then closed ones, most recently closed first — the order
 * of the list. Continued-as-new runs are left out so each release appears once; a repair
 * (workflows/repair.ts) is listed as the newer run of the release it repaired.
 */
export function releaseListQuery(
  filter: Pick<ListQuery, 'service' | 'namespace' | 'phase'>,
  /** A clause built from validated scopes (api/scopes.ts scopeClause), ANDed with the rest. */
  scopeClause?: string,
): string {
  const clauses = [
    `(${STATUS_WORKFLOW_TYPES.map((t) => `WorkflowType = "${t}"`).join(' OR ')})`,
    'ExecutionStatus != "ContinuedAsNew"',
  ];
  if (filter.service !== undefined) clauses.push(`CanaryService = "${safeValue(filter.service)}"`);
  if (filter.namespace !== undefined)
    clauses.push(`CanaryNamespace = "${safeValue(filter.namespace)}"`);
  if (filter.phase !== undefined) clauses.push(`CanaryPhase = "${safeValue(filter.phase)}"`);
  if (scopeClause !== undefined) clauses.push(scopeClause);
  return clauses.join(' AND ');
}

export function encodeCursor(token: Uint8Array, queryTag: string): string {
  return Buffer.from(
    JSON.stringify({ q: queryTag, t: Buffer.from(token).toString('base64') }),
  ).toString('base64url');
}

export function decodeCursor(cursor: string, queryTag: string): Uint8Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidRequest([
      { path: 'cursor', message: 'must be a nextCursor returned by this API' },
    ]);
  }
  const { q, t } = (parsed ?? {}) as { q?: unknown; t?: unknown };
  if (typeof q !== 'string' || typeof t !== 'string')
    throw invalidRequest([
      { path: 'cursor', message: 'must be a nextCursor returned by this API' },
    ]);
  if (q !== queryTag)
    throw invalidRequest([
      {
        path: 'cursor',
        message: 'belongs to a list with other filters; keep the filters of the first page',
      },
    ]);
  return Buffer.from(t, 'base64');
}

/** A listed workflow execution, decoded from the raw visibility record. */
export interface RawExecution {
  workflowId: string;
  runId: string;
  status: string;
  startTime: Date;
  closeTime: Date | null;
  attributes: Record<string, string | number | undefined>;
  /** From the memo: given at start, or read from the stable workload by the release. */
  stableVersion: string | null;
}

const EXECUTION_STATUS = [
  'UNSPECIFIED',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
  'PAUSED',
];

type LongLike = number | { toNumber(): number } | null | undefined;
interface RawTimestamp {
  seconds?: LongLike;
  nanos?: number | null;
}
export interface RawInfo {
  execution?: { workflowId?: string | null; runId?: string | null } | null;
  status?: number | null;
  startTime?: RawTimestamp | null;
  closeTime?: RawTimestamp | null;
  searchAttributes?: {
    indexedFields?: Record<string, { data?: Uint8Array | null } | null> | null;
  } | null;
  memo?: { fields?: Record<string, { data?: Uint8Array | null } | null> | null } | null;
}

/** A JSON payload's string or number (search attributes and the memo are JSON); else undefined. */
function jsonScalar(
  payload: { data?: Uint8Array | null } | null | undefined,
): string | number | undefined {
  try {
    const value: unknown = payload?.data
      ? JSON.parse(Buffer.from(payload.data).toString('utf8'))
      : undefined;
    return typeof value === 'string' || typeof value === 'number' ? value : undefined;
  } catch {
    // written by some other client in another encoding: leave it out
    return undefined;
  }
}

function toDate(ts: RawTimestamp | null | undefined): Date | null {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return null;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
  return new Date(seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6));
}

export function decodeExecution(raw: RawInfo): RawExecution {
  const attributes: Record<string, string | number | undefined> = {};
  for (const [key, payload] of Object.entries(raw.searchAttributes?.indexedFields ?? {})) {
    const value = jsonScalar(payload);
    if (value !== undefined) attributes[key] = value;
  }
  const stableVersion = jsonScalar(raw.memo?.fields?.stableVersion);
  return {
    workflowId: raw.execution?.workflowId ?? '',
    runId: raw.execution?.runId ?? '',
    status: EXECUTION_STATUS[raw.status ?? 0] ?? 'UNSPECIFIED',
    startTime: toDate(raw.startTime) ?? new Date(0),
    closeTime: toDate(raw.closeTime),
    attributes,
    stableVersion: typeof stableVersion === 'string' ? stableVersion : null,
  };
}
