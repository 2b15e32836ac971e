/**
 * What the API asks Temporal: find a release by its id, read its status (also once it has ended),
 * list releases page by page, and tell "Temporal is down" from "no worker answered". Every call
 * runs under a deadline so an unreachable server becomes a 503 within seconds, not a hung request.
 *
 * Reads are cached briefly and single-flight: many dashboards, CLI watchers and event streams on
 * one release cost one status query per `statusCacheMs`, not one each.
 */
import {
  ApplicationFailure, WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError,
  type Client, type WorkflowHandle,
} from '@temporalio/client';
import { createHash } from 'node:crypto';
import { RELEASE_FAILED_FAILURE, RELEASE_WORKFLOW_TYPE, statusQuery, type ReleaseStatus } from '../workflows/messages.js';
import type { canaryRelease } from '../workflows/release.js';
import { SingleFlightCache } from './cache.js';
import { invalidRequest, ProblemError } from './problems.js';
import type { ListQuery } from './schemas.js';
import { decodeCursor, decodeExecution, encodeCursor, releaseListQuery, safeValue, type RawExecution } from './visibility.js';
import { releaseIdOf } from '../client/releases.js';
import { BoundedMap } from './bounded-map.js';

export type ReleaseHandle = WorkflowHandle<typeof canaryRelease>;

/** A release found through visibility. */
export interface LocatedRelease {
  releaseId: string;
  workflowId: string;
  runId: string;
  running: boolean;
  /** Temporal's execution status of the newest run (RUNNING, COMPLETED, FAILED, TERMINATED, ...). */
  status: string;
  /** The newest run; for a running release not pinned to a run, so it follows continue-as-new. */
  handle: ReleaseHandle;
}

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
  private readonly recentStarts = new BoundedMap<string, { workflowId: string; runId: string }>(1000);

  constructor(readonly client: Client, readonly options: GatewayOptions) {
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

  private located(releaseId: string, workflowId: string, runId: string, status: string): LocatedRelease {
    const running = status === 'RUNNING';
    const handle = running
      ? this.client.workflow.getHandle<typeof canaryRelease>(workflowId)
      : this.client.workflow.getHandle<typeof canaryRelease>(workflowId, runId);
    return { releaseId, workflowId, runId, running, status, handle };
  }

  /**
   * The newest run of the release with this id (validated against RELEASE_ID_RE), or undefined.
   * Visibility first; a release this process just started and visibility has not indexed yet is
   * found through the run it remembers. `fresh` skips the short read cache (for actions and starts).
   */
  locate(releaseId: string, options: { fresh?: boolean } = {}): Promise<LocatedRelease | undefined> {
    const read = () => this.call(async () => {
      const query = `WorkflowType = "${RELEASE_WORKFLOW_TYPE}" AND CanaryReleaseId = "${safeValue(releaseId)}"`;
      let newest: { workflowId: string; runId: string; startTime: Date; status: string } | undefined;
      for await (const info of this.client.workflow.list({ query, pageSize: 20 })) {
        if (!newest || info.startTime > newest.startTime) {
          newest = { workflowId: info.workflowId, runId: info.runId, startTime: info.startTime, status: info.status.name };
        }
      }
      if (newest) return this.located(releaseId, newest.workflowId, newest.runId, newest.status);
      const started = this.recentStarts.get(releaseId);
      if (!started) return undefined;
      const description = await this.client.workflow.getHandle(started.workflowId, started.runId).describe();
      return this.located(releaseId, started.workflowId, started.runId, description.status.name);
    });
    if (options.fresh) return read();
    return this.locations.get(releaseId, this.options.locateCacheMs, read).then((found) => {
      if (!found) this.locations.delete(releaseId); // a release may start any moment: never cache "not found"
      return found;
    });
  }

  /**
   * The newest run of a workflow id with its release id (from the memo), read from the primary
   * store (consistent, unlike visibility); undefined when the workflow id was never used.
   */
  async lastRun(workflowId: string): Promise<{ releaseId: string | undefined; status: string } | undefined> {
    try {
      const description = await this.call(() => this.client.workflow.getHandle(workflowId).describe());
      return { releaseId: releaseIdOf(description), status: description.status.name };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  private statusKey(release: LocatedRelease): string {
    return `${release.workflowId}#${release.releaseId}`;
  }

  /**
   * The release's status. A running release answers the status query; a finished one is read from
   * its result (Promoted, RolledBack) or its failure details (Failed) — no worker needed — and only
   * a terminated or cancelled one falls back to the query (replayed by a worker).
   */
  status(release: LocatedRelease): Promise<ReleaseStatus> {
    const ttl = release.running ? this.options.statusCacheMs : FINISHED_STATUS_CACHE_MS;
    return this.statuses.get(this.statusKey(release), ttl, () => this.readStatus(release));
  }

  /** Records a status known to be current (what an update returned). */
  rememberStatus(release: LocatedRelease, status: ReleaseStatus): void {
    this.statuses.set(this.statusKey(release), this.options.statusCacheMs, status);
  }

  private async readStatus(release: LocatedRelease): Promise<ReleaseStatus> {
    const pinned = this.client.workflow.getHandle<typeof canaryRelease>(release.workflowId, release.runId);
    if (release.running) {
      const status = await this.call(() => release.handle.query(statusQuery));
      if (status.releaseId === release.releaseId) return status;
      // the service's workflow id runs a newer release now: this one has ended; read its own run
      return this.finishedStatus(pinned);
    }
    return this.finishedStatus(pinned);
  }

  /** The final status of a release that has ended (uncached). */
  finalStatus(release: LocatedRelease): Promise<ReleaseStatus> {
    return this.finishedStatus(this.client.workflow.getHandle<typeof canaryRelease>(release.workflowId, release.runId));
  }

  private async finishedStatus(handle: ReleaseHandle): Promise<ReleaseStatus> {
    try {
      return await this.call(() => handle.result());
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      if (error.cause instanceof ApplicationFailure && error.cause.type === RELEASE_FAILED_FAILURE) {
        const details = error.cause.details?.[0];
        if (isStatus(details)) return details;
      }
    }
    return this.call(() => handle.query(statusQuery));
  }

  /** One page of releases, newest first (see `releaseListQuery` for the order). */
  async list(filter: ListQuery): Promise<{ executions: RawExecution[]; nextCursor: string | null }> {
    const query = releaseListQuery(filter);
    const queryTag = createHash('sha256').update(query).digest('base64url').slice(0, 12);
    const nextPageToken = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor, queryTag);
    let response;
    try {
      response = await this.call(() => this.client.workflowService.listWorkflowExecutions({
        namespace: this.namespace, query, pageSize: filter.pageSize, ...(nextPageToken ? { nextPageToken } : {}),
      }));
    } catch (error) {
      // INVALID_ARGUMENT for a token the server does not accept (e.g. expired or forged)
      if (nextPageToken && isGrpcServiceError(error) && error.code === 3) throw invalidRequest([{ path: 'cursor', message: 'is not valid (any more); start again without a cursor' }]);
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

  /**
   * The 503 problem for an error that means Temporal (or the release's worker) did not answer;
   * undefined for any other error. A timeout is told apart by probing the server once.
   */
  async unavailableProblem(error: unknown): Promise<ProblemError | undefined> {
    const code = grpcCode(error);
    const where = this.address ? ` at ${this.address}` : '';
    const seconds = this.options.timeoutMs / 1000;
    if (code === 14) return new ProblemError(503, 'temporal-unavailable', `the Temporal server${where} is unreachable; releases cannot be started, read or changed until it is back`);
    if (code !== 4 && !(error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) return undefined;
    try {
      await this.systemInfo(1000);
    } catch {
      return new ProblemError(503, 'temporal-unavailable', `the Temporal server${where} did not answer within ${seconds} s; releases cannot be started, read or changed until it is back`);
    }
    return new ProblemError(503, 'temporal-unavailable', `Temporal${where} is up but the release's workflow did not answer within ${seconds} s: is a canary worker polling its task queue?`);
  }
}

function grpcCode(error: unknown): number | undefined {
  if (isGrpcServiceError(error)) return error.code;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return isGrpcServiceError(cause) ? cause.code : undefined;
}

function isStatus(value: unknown): value is ReleaseStatus {
  return typeof value === 'object' && value !== null && typeof (value as ReleaseStatus).phase === 'string' && Array.isArray((value as ReleaseStatus).timeline);
}

export type { RawExecution } from './visibility.js';
