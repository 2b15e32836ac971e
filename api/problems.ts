/**
 * Errors as RFC 9457 problem documents (`application/problem+json`). Handlers and middleware throw
 * `ProblemError`, the release client its typed refusals; the app's single `onError` turns every
 * exception — ours, the client's, Hono's HTTPException, Temporal's — into a problem response.
 * This file owns the one table from error to status and kind, Temporal's gRPC conditions included
 * (`temporalProblem`). Responses never carry a stack trace or Temporal's raw message: unexpected
 * errors are logged and answered with a generic 500.
 */
import { HTTPException } from 'hono/http-exception';
import type { Context } from 'hono';
import {
  ActionForbiddenError,
  ActionNotApplicableError,
  NothingToRepairError,
  ReleaseConflictError,
  ReleaseEndedError,
  ReleaseIdTakenError,
  ReleaseNotFoundError,
  RepairConflictError,
  ServiceBlockedError,
} from '../client/errors.js';
import { summarizeProblems, type SpecProblem } from '../core/problems.js';
import {
  IdentityProviderUnavailableError,
  LoginRefusedError,
  TokenRejectedError,
} from './oidc/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem kinds; each becomes the `type` URI `urn:canary-engine:problem:<kind>`. */
export type ProblemKind =
  | 'invalid-request'
  | 'malformed-json'
  | 'unauthorized'
  | 'forbidden'
  | 'sign-in-failed'
  | 'identity-provider-unavailable'
  | 'not-found'
  | 'release-not-found'
  | 'release-conflict'
  | 'release-ended'
  | 'release-id-taken'
  | 'service-blocked'
  | 'nothing-to-repair'
  | 'action-not-applicable'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'temporal-unavailable'
  | 'temporal-namespace-missing'
  | 'temporal-forbidden'
  | 'temporal-rate-limited'
  | 'temporal-conflict'
  | 'temporal-rejected'
  | 'internal';

const TITLES: Record<ProblemKind, string> = {
  'invalid-request': 'The request is invalid',
  'malformed-json': 'The request body is not valid JSON',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed for this token',
  'sign-in-failed': 'The sign-in could not complete',
  'identity-provider-unavailable': 'The identity provider cannot be reached',
  'not-found': 'No such route',
  'release-not-found': 'No such release',
  'release-conflict': 'Another release is running for this service',
  'release-ended': 'The release has already ended',
  'release-id-taken': 'The release id names a release of another service',
  'service-blocked': 'The service is blocked until it is repaired',
  'nothing-to-repair': 'There is nothing to repair',
  'action-not-applicable': 'The action does not apply to the release now',
  'payload-too-large': 'The request body is too large',
  'unsupported-media-type': 'Unsupported media type',
  'temporal-unavailable': 'Temporal is unavailable',
  'temporal-namespace-missing': "The API's Temporal namespace does not exist",
  'temporal-forbidden': "Temporal refused the API's credentials",
  'temporal-rate-limited': 'Temporal is rate limiting the API',
  'temporal-conflict': 'Temporal already has this workflow',
  'temporal-rejected': "Temporal refused the API's request as invalid",
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
  if (error instanceof ServiceBlockedError)
    return new ProblemError(409, 'service-blocked', error.message, {
      blockingReleaseId: error.blockingReleaseId ?? null,
      workflowId: error.workflowId,
      workflowStatus: error.workflowStatus,
      repair: `POST /v1/services/${error.namespace}/${error.service}/repair`,
    });
  if (error instanceof NothingToRepairError)
    return new ProblemError(409, 'nothing-to-repair', error.message, {
      lastReleaseId: error.last?.releaseId ?? null,
    });
  if (error instanceof RepairConflictError)
    return new ProblemError(409, 'release-conflict', error.message, {
      runningReleaseId: error.runningReleaseId ?? null,
      workflowId: error.workflowId,
    });
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

/** Seconds a client should wait before retrying when an identity provider is unreachable. */
export const IDP_RETRY_AFTER_S = 30;

/**
 * Refusals of sign-in (api/oidc/errors.ts): a token or session that does not hold is a 401 with
 * RFC 6750's `invalid_token`, an unreachable identity provider a 503. Reasons are our own words.
 */
function fromAuthError(error: unknown): ProblemError | undefined {
  if (error instanceof TokenRejectedError) {
    const description = error.message.replace(/["\\]/g, "'");
    return new ProblemError(
      401,
      'unauthorized',
      error.message,
      {},
      {
        'www-authenticate': `Bearer realm="canary", error="invalid_token", error_description="${description}"`,
      },
    );
  }
  if (error instanceof IdentityProviderUnavailableError)
    return new ProblemError(
      503,
      'identity-provider-unavailable',
      error.message,
      {},
      { 'retry-after': String(IDP_RETRY_AFTER_S) },
    );
  if (error instanceof LoginRefusedError)
    return new ProblemError(400, 'sign-in-failed', error.message);
  return undefined;
}

/** The problem an exception of ours, of the release client's or of Hono's becomes; undefined for anything else. */
export function toProblem(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (error instanceof HTTPException) return fromHttpException(error);
  return fromClientError(error) ?? fromAuthError(error);
}

/**
 * A Temporal condition the API answers with a problem (api/temporal.ts `temporalCondition` tells
 * which an error means). A deadline is told apart by probing the server: `deadline-server` when
 * the server did not answer the probe either, `deadline-worker` when it did (so the release's
 * worker is what did not answer).
 */
export type TemporalCondition =
  | 'unavailable'
  | 'deadline'
  | 'deadline-server'
  | 'deadline-worker'
  | 'namespace-missing'
  | 'not-found'
  | 'already-exists'
  | 'forbidden'
  | 'unauthenticated'
  | 'rate-limited'
  | 'invalid-argument'
  | 'failed';

/** What the problem details name: the API's Temporal namespace and server. */
export interface TemporalTarget {
  namespace: string;
  address?: string;
  timeoutMs: number;
}

/** Seconds a client should wait before retrying a call Temporal rate-limited. */
export const TEMPORAL_RETRY_AFTER_S = 5;

/**
 * The one table from a Temporal condition to a problem. Only conditions the caller caused are 4xx;
 * wrong credentials, a missing namespace and a request Temporal refuses are the operator's (5xx).
 * An INVALID_ARGUMENT that comes from the caller's input (an expired list cursor) is turned into
 * a 400 naming the field where that input is sent (api/temporal.ts), before it reaches this table.
 */
export function temporalProblem(
  condition: TemporalCondition,
  target: TemporalTarget,
  line: string,
): ProblemError {
  const where = target.address ? ` at ${target.address}` : '';
  const ns = `namespace "${target.namespace}"`;
  const seconds = target.timeoutMs / 1000;
  const blocked = 'releases cannot be started, read or changed until it is back';
  switch (condition) {
    case 'unavailable':
      return new ProblemError(
        503,
        'temporal-unavailable',
        `the Temporal server${where} is unreachable; ${blocked}`,
      );
    case 'deadline':
    case 'deadline-server':
      return new ProblemError(
        503,
        'temporal-unavailable',
        `the Temporal server${where} did not answer within ${seconds} s; ${blocked}`,
      );
    case 'deadline-worker':
      return new ProblemError(
        503,
        'temporal-unavailable',
        `Temporal${where} is up but the release's workflow did not answer within ${seconds} s: is a canary worker polling its task queue?`,
      );
    case 'namespace-missing':
      return new ProblemError(
        503,
        'temporal-namespace-missing',
        `the Temporal ${ns} does not exist on the server${where}; an operator creates it with \`temporal operator namespace create --namespace ${target.namespace}\` (then starts the worker, which registers the search attributes)`,
        { namespace: target.namespace },
      );
    case 'forbidden':
    case 'unauthenticated':
      return new ProblemError(
        503,
        'temporal-forbidden',
        `the Temporal server${where} refused the API's own credentials for ${ns} (${condition === 'forbidden' ? 'permission denied' : 'unauthenticated'}: ${line}); an operator must fix the API's Temporal TLS or API-key settings`,
        { namespace: target.namespace },
      );
    case 'rate-limited':
      return new ProblemError(
        429,
        'temporal-rate-limited',
        `the Temporal server${where} is rate limiting ${ns} (${line}); retry in ${TEMPORAL_RETRY_AFTER_S} s`,
        {},
        { 'retry-after': String(TEMPORAL_RETRY_AFTER_S) },
      );
    case 'not-found':
      return new ProblemError(
        404,
        'release-not-found',
        `Temporal has no such workflow in ${ns} (${line}); the release may have ended and been removed by retention`,
      );
    case 'already-exists':
      return new ProblemError(
        409,
        'temporal-conflict',
        `Temporal already has this workflow in ${ns} (${line}); another request changed the release at the same time: read it and retry`,
      );
    case 'invalid-argument':
      return new ProblemError(
        502,
        'temporal-rejected',
        `the Temporal server${where} refused the API's request as invalid (${line}); if ${ns} is new, have the worker register the release search attributes`,
      );
    case 'failed':
      return new ProblemError(
        502,
        'temporal-rejected',
        `the Temporal server${where} could not answer the API's request (${line}); the release itself is unchanged`,
      );
  }
}
