/**
 * Starting a release: the one place that holds every start rule, shared by the API, the
 * benchmarks and the tests — one release per service at a time (ReleaseConflictError), a retried
 * start of a running release is idempotent (`created: false`), a release id names one release of
 * one service (ReleaseIdTakenError) and is not run again once it has ended (ReleaseEndedError),
 * and no release starts on top of one that ended Failed, was terminated or timed out until
 * `canary repair` (ServiceBlockedError; client/repair.ts). The id rules come first: a retried
 * start of the very release that failed is told that it ended (and that the service is blocked).
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { releaseWorkflowId, type SubmittedSpec } from '../core/spec.js';
import { RELEASE_WORKFLOW_TYPE, REPAIR_WORKFLOW_TYPE, TASK_QUEUE } from '../workflows/messages.js';
import type { ReleaseWorkflowInput } from '../workflows/release.js';
import type { canaryRelease } from '../workflows/release.js';
import {
  NamespaceKey,
  PhaseKey,
  ReleaseIdKey,
  ServiceKey,
  VersionKey,
  WeightKey,
} from '../workflows/state.js';
import {
  ReleaseConflictError,
  ReleaseEndedError,
  ReleaseIdTakenError,
  repairCommand,
  ServiceBlockedError,
} from './errors.js';
import {
  blocks,
  endedBecause,
  lastRun,
  locateRelease,
  releaseIdOf,
  type LastRun,
  type LocatedRelease,
} from './reads.js';

// where tests and scripts written before client/errors.ts import it from
export { ReleaseConflictError } from './errors.js';

export interface StartedRelease {
  /** False when the same release (same releaseId) was already running: a retried start. */
  created: boolean;
  releaseId: string;
  workflowId: string;
  runId: string;
}

/** How the start rules look releases up; the API passes its own (deadlines, releases it just started). */
export interface ReleaseLookup {
  /** The newest run of the release with this id, read afresh. */
  locate(releaseId: string): Promise<LocatedRelease | undefined>;
  /** The newest run of a workflow id, read consistently. */
  lastRun(workflowId: string): Promise<LastRun | undefined>;
  /** Why a closed run ended, in its own words (client/reads.ts endedBecause). */
  endedBecause(workflowId: string, runId: string): Promise<string | undefined>;
}

export interface StartOptions {
  taskQueue?: string;
  /** Overrides for tests (e.g. a small continue-as-new threshold). */
  historyLimit?: number;
  /** Overrides for tests: a failing rollback's retry timing (workflows/activity-proxies.ts). */
  rollbackTiming?: ReleaseWorkflowInput['rollbackTiming'];
  /** Overrides for tests: announcements' retries and the end's wait for them (workflows/announce.ts). */
  announceTiming?: ReleaseWorkflowInput['announceTiming'];
  /**
   * False when the release id was generated for this start (e.g. by the API, at random): no
   * earlier release can carry it, so the id checks are skipped. Default true.
   */
  idChosen?: boolean;
  /** Default: straight from Temporal (client/reads.ts). */
  lookup?: ReleaseLookup;
  /**
   * Who starts the release (the API token's name): the workflow refuses their approval when the
   * spec sets policies.approval.distinctApprover.
   */
  startedBy?: string;
}

/** Temporal's reads, as the start rules need them. */
export function temporalLookup(client: Client): ReleaseLookup {
  return {
    locate: (releaseId) => locateRelease(client, releaseId),
    lastRun: (workflowId) => lastRun(client, workflowId),
    endedBecause: (workflowId, runId) => endedBecause(client, workflowId, runId),
  };
}

/**
 * A release id names one release: refuses an id that names a release of another service, and the
 * id of the service's last release once it has ended (a retried start must not run it again).
 */
async function checkReleaseId(
  lookup: ReleaseLookup,
  spec: SubmittedSpec,
  workflowId: string,
  last: LastRun | undefined,
): Promise<void> {
  const elsewhere = await lookup.locate(spec.releaseId);
  if (elsewhere && elsewhere.workflowId !== workflowId)
    throw new ReleaseIdTakenError(spec.releaseId, elsewhere.workflowId);
  if (last && last.status !== 'RUNNING' && last.releaseId === spec.releaseId) {
    const blocked = blocks(last)
      ? `; the service is blocked until \`${repairCommand(spec.namespace, spec.service)}\``
      : '';
    throw ReleaseEndedError.onStart(spec.releaseId, last.status, blocked);
  }
}

/** Refuses a start while the service's newest run blocks it (client/reads.ts BLOCKING_STATUSES). */
async function checkNotBlocked(
  lookup: ReleaseLookup,
  spec: SubmittedSpec,
  workflowId: string,
  last: LastRun | undefined,
): Promise<void> {
  if (!last || !blocks(last)) return;
  // the reason is a courtesy: the refusal stands without it
  const because = await lookup.endedBecause(workflowId, last.runId).catch(() => undefined);
  throw new ServiceBlockedError(
    spec.releaseId,
    workflowId,
    last.releaseId,
    last.status,
    spec.namespace,
    spec.service,
    because,
    last.type === REPAIR_WORKFLOW_TYPE,
  );
}

/** Starts the release of a validated spec (see the file comment for the rules it enforces). */
export async function startRelease(
  client: Client,
  spec: SubmittedSpec,
  options: StartOptions = {},
): Promise<StartedRelease> {
  const workflowId = releaseWorkflowId(spec.namespace, spec.service);
  const lookup = options.lookup ?? temporalLookup(client);
  const last = await lookup.lastRun(workflowId);
  if (options.idChosen !== false) await checkReleaseId(lookup, spec, workflowId, last);
  // a start racing the end of a running release may slip past this check (the run ends between
  // the read above and the start below); the run it would have found is then still there to repair
  await checkNotBlocked(lookup, spec, workflowId, last);
  const input: ReleaseWorkflowInput = {
    spec,
    ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}),
    ...(options.rollbackTiming !== undefined ? { rollbackTiming: options.rollbackTiming } : {}),
    ...(options.announceTiming !== undefined ? { announceTiming: options.announceTiming } : {}),
    ...(options.startedBy !== undefined ? { startedBy: options.startedBy } : {}),
  };
  try {
    const handle = await client.workflow.start<typeof canaryRelease>(RELEASE_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: options.taskQueue ?? TASK_QUEUE,
      args: [input],
      // the list shows both versions; a release that reads its stable version adds it (state.ts)
      memo: {
        releaseId: spec.releaseId,
        ...(spec.stableVersion !== undefined ? { stableVersion: spec.stableVersion } : {}),
      },
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: PhaseKey, value: 'Pending' },
        { key: ServiceKey, value: spec.service },
        { key: NamespaceKey, value: spec.namespace },
        { key: VersionKey, value: spec.canaryVersion },
        { key: WeightKey, value: 0 },
        { key: ReleaseIdKey, value: spec.releaseId },
      ],
    });
    return {
      created: true,
      releaseId: spec.releaseId,
      workflowId,
      runId: handle.firstExecutionRunId,
    };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const description = await client.workflow.getHandle(workflowId).describe();
    const runningId = releaseIdOf(description);
    const repairRunning = description.type === REPAIR_WORKFLOW_TYPE;
    if (runningId === spec.releaseId && !repairRunning)
      return { created: false, releaseId: spec.releaseId, workflowId, runId: description.runId };
    throw new ReleaseConflictError(
      spec.releaseId,
      workflowId,
      runningId,
      spec.service,
      spec.namespace,
      repairRunning,
    );
  }
}
