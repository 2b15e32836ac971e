/**
 * Errors as RFC 9457 problem documents (`application/problem+json`). Handlers and middleware throw
 * `ProblemError`, the release client its typed refusals; the app's single `onError` turns every
 * exception — ours, the client's, Hono's HTTPException, Temporal's — into a problem response. Responses never carry a stack trace: unexpected errors are
 * logged with the request id and answered with a generic 500 that names it.
 */
import { HTTPException } from 'hono/http-exception';
import type { Context } from 'hono';
import {
  ActionForbiddenError,
  ActionNotApplicableError,
  ReleaseConflictError,
  ReleaseEndedError,
  ReleaseIdTakenError,
  ReleaseNotFoundError,
} from '../client/errors.js';
import { summarizeProblems, type SpecProblem } from '../core/problems.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem kinds; each becomes the `type` URI `urn:canary-engine:problem:<kind>`. */
export type ProblemKind =
  | 'invalid-request'
  | 'malformed-json'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'release-not-found'
  | 'release-conflict'
  | 'release-ended'
  | 'release-id-taken'
  | 'action-not-applicable'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'temporal-unavailable'
  | 'internal';

const TITLES: Record<ProblemKind, string> = {
  'invalid-request': 'The request is invalid',
  'malformed-json': 'The request body is not valid JSON',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed for this token',
  'not-found': 'No such route',
  'release-not-found': 'No such release',
  'release-conflict': 'Another release is running for this service',
  'release-ended': 'The release has already ended',
  'release-id-taken': 'The release id names a release of another service',
  'action-not-applicable': 'The action does not apply to the release now',
  'payload-too-large': 'The request body is too large',
  'unsupported-media-type': 'Unsupported media type',
  'temporal-unavailable': 'Temporal is unavailable',
  internal: 'Internal error',
};

/** The JSON body of a problem response. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  /** Every field that failed validation (400 only). */
  problems?: SpecProblem[];
  [extension: string]: unknown;
}

export function problemType(kind: ProblemKind): string {
  return `urn:canary-engine:problem:${kind}`;
}

/** An error that maps to exactly one problem response. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly kind: ProblemKind,
    detail: string,
    /** Extra members of the problem document (e.g. `problems`, `runningReleaseId`). */
    readonly extensions: Record<string, unknown> = {},
    /** Extra response headers (e.g. WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
  }
}

/** 400 listing every problem with its field path. */
export function invalidRequest(problems: SpecProblem[], what = 'request'): ProblemError {
  return new ProblemError(400, 'invalid-request', summarizeProblems(problems, what), { problems });
}

export function problemDocument(
  kind: ProblemKind,
  status: number,
  detail: string,
  instance: string,
  extensions: Record<string, unknown> = {},
): ProblemDocument {
  return { type: problemType(kind), title: TITLES[kind], status, detail, instance, ...extensions };
}

/** Builds the problem response (used by onError, notFound and the body-limit middleware). */
export function problemResponse(c: Context, error: ProblemError): Response {
  const body = problemDocument(
    error.kind,
    error.status,
    error.message,
    c.req.path,
    error.extensions,
  );
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...error.headers },
  });
}

/** HTTPExceptions raised inside Hono and its middleware (malformed JSON, 415 from the validator). */
function fromHttpException(error: HTTPException): ProblemError {
  switch (error.status) {
    case 400:
      return new ProblemError(
        400,
        /json/i.test(error.message) ? 'malformed-json' : 'invalid-request',
        error.message || 'bad request',
      );
    case 401:
      return new ProblemError(
        401,
        'unauthorized',
        error.message || 'a bearer token is required',
        {},
        { 'www-authenticate': 'Bearer realm="canary"' },
      );
    case 413:
      return new ProblemError(
        413,
        'payload-too-large',
        'the request body is larger than the limit',
      );
    case 415:
      return new ProblemError(
        415,
        'unsupported-media-type',
        'send the request body as application/json',
      );
    default:
      return new ProblemError(
        error.status,
        error.status >= 500 ? 'internal' : 'invalid-request',
        error.message || `HTTP ${error.status}`,
      );
  }
}

/**
 * The one table from the release client's refusals (client/errors.ts) to problems: each condition
 * has one status and kind, and its details as extension members.
 */
function fromClientError(error: unknown): ProblemError | undefined {
  if (error instanceof ReleaseConflictError) {
    return new ProblemError(409, 'release-conflict', error.message, {
      runningReleaseId: error.runningReleaseId ?? null,
      workflowId: error.workflowId,
    });
  }
  if (error instanceof ReleaseIdTakenError)
    return new ProblemError(409, 'release-id-taken', error.message, {
      releaseId: error.releaseId,
      workflowId: error.workflowId,
    });
  if (error instanceof ReleaseEndedError)
    return new ProblemError(409, 'release-ended', error.message, { releaseId: error.releaseId });
  if (error instanceof ActionForbiddenError)
    return new ProblemError(403, 'forbidden', error.message, {
      releaseId: error.releaseId,
      rule: error.rule,
    });
  if (error instanceof ActionNotApplicableError) {
    return new ProblemError(409, 'action-not-applicable', error.message, {
      releaseId: error.releaseId,
      reason: error.reason,
    });
  }
  if (error instanceof ReleaseNotFoundError)
    return new ProblemError(404, 'release-not-found', error.message, {
      releaseId: error.releaseId,
    });
  return undefined;
}

/** The problem an exception of ours, of the release client's or of Hono's becomes; undefined for anything else. */
export function toProblem(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (error instanceof HTTPException) return fromHttpException(error);
  return fromClientError(error);
}
