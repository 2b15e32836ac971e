/**
 * Reading releases from Temporal: find a release by its id, the newest run of a service's workflow,
 * and a release's status, also once it has ended (from its result or its 'ReleaseFailed' failure
 * details, so no worker is needed). The API adds deadlines and short caches around these
 * (api/temporal.ts); benchmarks and tests call them as they are.
 */
import {
  ApplicationFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  RELEASE_FAILED_FAILURE,
  STATUS_WORKFLOW_TYPES,
  statusQuery,
  type ReleaseStatus,
} from '../workflows/messages.js';
import type { canaryRelease } from '../workflows/release.js';
import { ReleaseIdKey } from '../workflows/state.js';
import { ReleaseNotFoundError } from './errors.js';

export type ReleaseHandle = WorkflowHandle<typeof canaryRelease>;

/** A release found by its id. */
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

/** The newest run of a service's workflow id and the release it runs (or ran). */
export interface LastRun {
  releaseId: string | undefined;
  status: string;
  runId: string;
  /** The workflow type: canaryRelease, or canaryRepair (workflows/repair.ts). */
  type: string;
}

/**
 * How a run ended that blocks the next release of its service until `canary repair`: the release
 * workflow failed (a release that ended Failed, or any other workflow failure), was terminated or
 * timed out — routing and replicas may be as it left them. A completed run (Promoted, RolledBack,
 * Rejected, Repaired) and a cancelled one (its rollback ran) do not block.
 */
export const BLOCKING_STATUSES: readonly string[] = ['FAILED', 'TERMINATED', 'TIMED_OUT'];

/** Whether this newest run blocks the service's next release (see BLOCKING_STATUSES). */
export function blocks(run: LastRun | undefined): boolean {
  return run !== undefined && BLOCKING_STATUSES.includes(run.status);
}

/** Values reach visibility queries only after validation; this refuses anything that could escape a string. */
export function safeValue(value: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(value))
    throw new Error(`refusing to put ${JSON.stringify(value)} into a visibility query`);
  return value;
}

/**
 * The release id of a workflow run: from the memo the API and CLI set, else from the
 * `CanaryReleaseId` search attribute the workflow upserts (a release started with the Temporal CLI
 * has no memo).
 */
export function releaseIdOf(description: WorkflowExecutionDescription): string | undefined {
  const fromMemo = description.memo?.releaseId;
  if (typeof fromMemo === 'string') return fromMemo;
  return description.typedSearchAttributes.get(ReleaseIdKey);
}

/** The release at a known run: a running one follows continue-as-new, an ended one stays pinned. */
export function locatedRelease(
  client: Client,
  releaseId: string,
  workflowId: string,
  runId: string,
  status: string,
): LocatedRelease {
  const running = status === 'RUNNING';
  const handle = running
    ? client.workflow.getHandle<typeof canaryRelease>(workflowId)
    : client.workflow.getHandle<typeof canaryRelease>(workflowId, runId);
  return { releaseId, workflowId, runId, running, status, handle };
}

/**
 * The newest run of the release with this id (validated against RELEASE_ID_RE), or undefined.
 * Read through visibility, which indexes a new workflow a moment after it starts: `recentStart`
 * is the run of a release the caller just started, found through it until visibility has it.
 */
export async function locateRelease(
  client: Client,
  releaseId: string,
  recentStart?: { workflowId: string; runId: string },
): Promise<LocatedRelease | undefined> {
  // a repair (workflows/repair.ts) carries the release's id and status: it is the release's newest run
  const types = STATUS_WORKFLOW_TYPES.map((t) => `WorkflowType = "${t}"`).join(' OR ');
  const query = `(${types}) AND CanaryReleaseId = "${safeValue(releaseId)}"`;
  let newest: { workflowId: string; runId: string; startTime: Date; status: string } | undefined;
  for await (const info of client.workflow.list({ query, pageSize: 20 })) {
    if (!newest || info.startTime > newest.startTime) {
      newest = {
        workflowId: info.workflowId,
        runId: info.runId,
        startTime: info.startTime,
        status: info.status.name,
      };
    }
  }
  if (newest)
    return locatedRelease(client, releaseId, newest.workflowId, newest.runId, newest.status);
  if (!recentStart) return undefined;
  const description = await client.workflow
    .getHandle(recentStart.workflowId, recentStart.runId)
    .describe();
  return locatedRelease(
    client,
    releaseId,
    recentStart.workflowId,
    recentStart.runId,
    description.status.name,
  );
}

/** The release itself, or ReleaseNotFoundError naming the id. */
export function found(release: LocatedRelease | undefined, releaseId: string): LocatedRelease {
  if (!release) throw new ReleaseNotFoundError(releaseId);
  return release;
}

/**
 * The newest run of a workflow id with its release id, read from the primary store (consistent,
 * unlike visibility); undefined when the workflow id was never used.
 */
export async function lastRun(client: Client, workflowId: string): Promise<LastRun | undefined> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return {
      releaseId: releaseIdOf(description),
      status: description.status.name,
      runId: description.runId,
      type: description.type,
    };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/**
 * Why a closed run ended, in its own words: a failure's message (for a release that ended Failed,
 * its outcome), the termination's reason, or the timeout; undefined for a run that completed.
 */
export async function endedBecause(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<string | undefined> {
  try {
    await client.workflow.getHandle(workflowId, runId).result();
    return undefined;
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    return error.cause?.message || error.message;
  }
}

/**
 * The release's status now. A running release answers the status query; once the service's
 * workflow id runs a newer release, or the release has ended, its own run's final status.
 */
export async function releaseStatus(
  client: Client,
  release: LocatedRelease,
): Promise<ReleaseStatus> {
  if (release.running) {
    const status = await release.handle.query(statusQuery);
    if (status.releaseId === release.releaseId) return status;
  }
  return finalStatus(client, release);
}

/**
 * The final status of a release that has ended, read from its result (Promoted, RolledBack) or its
 * failure details (Failed) — no worker needed; only a terminated or cancelled release falls back
 * to the status query (replayed by a worker).
 */
export async function finalStatus(
  client: Client,
  release: Pick<LocatedRelease, 'workflowId' | 'runId'>,
): Promise<ReleaseStatus> {
  const recorded = await recordedStatus(client, release);
  if (recorded) return recorded;
  return client.workflow
    .getHandle<typeof canaryRelease>(release.workflowId, release.runId)
    .query(statusQuery);
}

/**
 * The status a closed run recorded: its result, or its 'ReleaseFailed' failure's details;
 * undefined when it recorded none (terminated, cancelled, failed otherwise). Needs no worker.
 */
export async function recordedStatus(
  client: Client,
  release: Pick<LocatedRelease, 'workflowId' | 'runId'>,
): Promise<ReleaseStatus | undefined> {
  const handle = client.workflow.getHandle<typeof canaryRelease>(release.workflowId, release.runId);
  try {
    return await handle.result();
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    if (error.cause instanceof ApplicationFailure && error.cause.type === RELEASE_FAILED_FAILURE) {
      const details = error.cause.details?.[0];
      if (isStatus(details)) return details;
    }
    return undefined;
  }
}

function isStatus(value: unknown): value is ReleaseStatus {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ReleaseStatus).phase === 'string' &&
    Array.isArray((value as ReleaseStatus).timeline)
  );
}
