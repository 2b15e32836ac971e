/**
 * The API's side of Temporal: the release client's starts and reads (client/) under a deadline,
 * so an unreachable server becomes a 503 within seconds, not a hung request; listing releases
 * page by page; and which Temporal condition an error means (the status each gets is
 * api/problems.ts's table), telling "Temporal is down" from "no worker answered".
 *
 * Reads are cached briefly and single-flight: many dashboards, CLI watchers and event streams on
 * one release cost one status query per `statusCacheMs`, not one each.
 */
import {
  NamespaceNotFoundError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcServiceError,
  type Client,
} from '@temporalio/client';
import { createHash } from 'node:crypto';
import {
  endedBecause,
  finalStatus,
  lastRun,
  locateRelease,
  releaseStatus,
  type LastRun,
  type LocatedRelease,
} from '../client/reads.js';
import { startRelease, type StartedRelease } from '../client/releases.js';
import type { SubmittedSpec } from '../core/spec.js';
import type { ReleaseStatus } from '../workflows/messages.js';
import { SingleFlightCache } from './cache.js';
import {
  invalidRequest,
  temporalProblem,
  type ProblemError,
  type ProblemKind,
  type TemporalCondition,
  type TemporalTarget,
} from './problems.js';
import type { ListQuery } from './schemas.js';
import {
  decodeCursor,
  decodeExecution,
  encodeCursor,
  releaseListQuery,
  type RawExecution,
} from './visibility.js';
import { BoundedMap } from './bounded-map.js';

export type { LocatedRelease, ReleaseHandle } from '../client/reads.js';

export interface GatewayOptions {
  /** Deadline of any one Temporal call. */
  timeoutMs: number;
  clock: () => number;
  /** How long a running release's status is reused (0: never). */
  statusCacheMs: number;
  /** How long a release's location is reused for reads (0: never). */
  locateCacheMs: number;
}

/** A finished release's status never changes again. */
const FINISHED_STATUS_CACHE_MS = 60_000;

export class TemporalGateway {
  private readonly statuses: SingleFlightCache<ReleaseStatus>;
  private readonly locations: SingleFlightCache<LocatedRelease | undefined>;
  /** Releases this process started, by id: visibility indexes a new workflow only after a moment. */
  private readonly recentStarts = new BoundedMap<string, { workflowId: string; runId: string }>(
    1000,
  );

  constructor(
    readonly client: Client,
    readonly options: GatewayOptions,
  ) {
    this.statuses = new SingleFlightCache(options.clock);
    this.locations = new SingleFlightCache(options.clock);
  }

  /** Runs Temporal calls under the API's deadline. */
  call<T>(fn: () => Promise<T>, timeoutMs = this.options.timeoutMs): Promise<T> {
    return this.client.withDeadline(this.options.clock() + timeoutMs, fn);
  }

  get namespace(): string {
    return this.client.options.namespace;
  }

  /** The server's address, for messages (undefined for a connection that does not say). */
  get address(): string | undefined {
    const options = (this.client.connection as { options?: { address?: unknown } }).options;
    return typeof options?.address === 'string' ? options.address : undefined;
  }

  /** Remembers a release this API started, so it is found before visibility has indexed it. */
  rememberStart(releaseId: string, workflowId: string, runId: string): void {
    this.recentStarts.set(releaseId, { workflowId, runId });
    this.locations.delete(releaseId);
  }

  /**
   * The newest run of the release with this id (client/reads.ts locateRelease), also a release this
   * process just started that visibility has not indexed yet. `fresh` skips the short read cache
   * (for actions and starts).
   */
  locate(
    releaseId: string,
    options: { fresh?: boolean } = {},
  ): Promise<LocatedRelease | undefined> {
    const read = () =>
      this.call(() => locateRelease(this.client, releaseId, this.recentStarts.get(releaseId)));
    if (options.fresh) return read();
    return this.locations.get(releaseId, this.options.locateCacheMs, read).then((found) => {
      if (!found) this.locations.delete(releaseId); // a release may start any moment: never cache "not found"
      return found;
    });
  }

  /**
   * Starts a release through client/releases.ts (which holds every start rule), looking releases up
   * through this gateway so a release this process just started is found, and remembers it.
   */
  async start(
    spec: SubmittedSpec,
    options: { taskQueue: string; idChosen: boolean; startedBy?: string },
  ): Promise<StartedRelease> {
    const lookup = {
      locate: (releaseId: string) => this.locate(releaseId, { fresh: true }),
      lastRun: (workflowId: string) => this.lastRun(workflowId),
      endedBecause: (workflowId: string, runId: string) =>
        this.call(() => endedBecause(this.client, workflowId, runId)),
    };
    const started = await this.call(() => startRelease(this.client, spec, { ...options, lookup }));
    this.rememberStart(started.releaseId, started.workflowId, started.runId);
    return started;
  }

  /** The newest run of a workflow id, read consistently (client/reads.ts lastRun). */
  lastRun(workflowId: string): Promise<LastRun | undefined> {
    return this.call(() => lastRun(this.client, workflowId));
  }

  /**
   * Keyed by run and by whether it runs: a repair (workflows/repair.ts) is a newer run of the same
   * release, and a status the release's earlier run left in the cache must not stand for it; and
   * the status a run had while running must not stand for its final one once it has ended. After
   * a continue-as-new the release is located at its new run, so the key changes too.
   */
  private statusKey(release: LocatedRelease): string {
    const state = release.running ? 'running' : 'ended';
    return `${release.workflowId}#${release.releaseId}#${release.runId}#${state}`;
  }

  /** The release's status (client/reads.ts releaseStatus), cached briefly; a finished release's for longer. */
  status(release: LocatedRelease): Promise<ReleaseStatus> {
    const ttl = release.running ? this.options.statusCacheMs : FINISHED_STATUS_CACHE_MS;
    return this.statuses.get(this.statusKey(release), ttl, () =>
      this.call(() => releaseStatus(this.client, release)),
    );
  }

  /** Records a status known to be current (what an update returned). */
  rememberStatus(release: LocatedRelease, status: ReleaseStatus): void {
    this.statuses.set(this.statusKey(release), this.options.statusCacheMs, status);
  }

  /** The final status of a release that has ended (uncached). */
  finalStatus(release: LocatedRelease): Promise<ReleaseStatus> {
    return this.call(() => finalStatus(this.client, release));
  }

  /**
   * One page of releases, newest first (see `releaseListQuery` for the order). `scopeClause`
   * narrows the query to a scoped token's releases (api/scopes.ts).
   */
  async list(
    filter: ListQuery,
    scopeClause?: string,
  ): Promise<{ executions: RawExecution[]; nextCursor: string | null }> {
    const query = releaseListQuery(filter, scopeClause);
    const queryTag = createHash('sha256').update(query).digest('base64url').slice(0, 12);
    const nextPageToken =
      filter.cursor === undefined ? undefined : decodeCursor(filter.cursor, queryTag);
    let response;
    try {
      response = await this.call(() =>
        this.client.workflowService.listWorkflowExecutions({
          namespace: this.namespace,
          query,
          pageSize: filter.pageSize,
          ...(nextPageToken ? { nextPageToken } : {}),
        }),
      );
    } catch (error) {
      // INVALID_ARGUMENT for a token the server does not accept (e.g. expired or forged)
      if (nextPageToken && temporalCondition(error) === 'invalid-argument')
        throw invalidRequest([
          { path: 'cursor', message: 'is not valid (any more); start again without a cursor' },
        ]);
      throw error;
    }
    const token = response.nextPageToken;
    const nextCursor = token && token.length > 0 ? encodeCursor(token, queryTag) : null;
    return { executions: response.executions.map(decodeExecution), nextCursor };
  }

  /** Temporal's version when the server answers within `timeoutMs`; throws otherwise. */
  async systemInfo(timeoutMs: number): Promise<string | null> {
    const info = await this.call(() => this.client.workflowService.getSystemInfo({}), timeoutMs);
    return info.serverVersion || null;
  }

  /** What problems about Temporal name: this API's namespace, server and deadline. */
  get target(): TemporalTarget {
    return { namespace: this.namespace, address: this.address, timeoutMs: this.options.timeoutMs };
  }

  /**
   * The problem for an error that is a known Temporal condition (api/problems.ts
   * `temporalProblem`); undefined for any other error. A timeout is told apart by probing the
   * server once: down, or up with no worker answering the release's workflow.
   */
  async problemFor(error: unknown): Promise<ProblemError | undefined> {
    let condition = temporalCondition(error);
    if (condition === undefined && error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
      condition = 'deadline';
    if (condition === undefined) return undefined;
    if (condition === 'deadline') {
      condition = await this.systemInfo(1000).then(
        () => 'deadline-worker' as const,
        () => 'deadline-server' as const,
      );
    }
    return temporalProblem(condition, this.target, sanitizedTemporalLine(error));
  }

  /**
   * The problem for an error that means Temporal (or the release's worker) is unavailable or
   * rate limiting for now, so waiting helps (event streams wait); undefined for any other error.
   */
  async unavailableProblem(error: unknown): Promise<ProblemError | undefined> {
    const problem = await this.problemFor(error);
    return problem && TRANSIENT_KINDS.has(problem.kind) ? problem : undefined;
  }
}

const TRANSIENT_KINDS: ReadonlySet<ProblemKind> = new Set([
  'temporal-unavailable',
  'temporal-rate-limited',
]);

/** gRPC status codes (google.golang.org/grpc/codes) of the conditions api/problems.ts maps. */
const GRPC_CONDITIONS: Record<number, TemporalCondition> = {
  3: 'invalid-argument',
  4: 'deadline',
  5: 'not-found',
  6: 'already-exists',
  7: 'forbidden',
  8: 'rate-limited',
  14: 'unavailable',
  16: 'unauthenticated',
};

/** The gRPC error an error is or wraps (the client wraps them in ServiceError and the like). */
function grpcErrorOf(error: unknown): { code: number; details: string } | undefined {
  for (let e = error, depth = 0; e && depth < 5; depth += 1) {
    if (isGrpcServiceError(e)) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Which Temporal condition an error means; undefined when it is not a known one. */
export function temporalCondition(error: unknown): TemporalCondition | undefined {
  if (error instanceof NamespaceNotFoundError) return 'namespace-missing';
  const grpc = grpcErrorOf(error);
  if (!grpc) return undefined;
  // any other gRPC status (FAILED_PRECONDITION, INTERNAL, UNKNOWN, ...) is still Temporal's answer,
  // never a 500 of ours
  const condition = GRPC_CONDITIONS[grpc.code] ?? 'failed';
  // raw service calls (listWorkflowExecutions) answer a missing namespace with a plain NOT_FOUND
  if (condition === 'not-found' && /namespace\b.*\bnot (be )?found/i.test(grpc.details))
    return 'namespace-missing';
  return condition;
}

/** Temporal's message cut to one printable line: enough to act on, nothing more (no stack, no dump). */
export function sanitizedTemporalLine(error: unknown): string {
  const raw = grpcErrorOf(error)?.details ?? (error instanceof Error ? error.message : '');
  const line = (raw.split(/\r?\n/)[0] ?? '').replace(/[^\x20-\x7e]/g, '?').trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line || 'no message';
}

export type { RawExecution } from './visibility.js';
