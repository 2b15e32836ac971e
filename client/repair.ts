/**
 * `canary repair <namespace>/<service>`: the repair rules, shared by the API and the tests. A
 * service whose newest run blocks it (client/reads.ts BLOCKING_STATUSES) is repaired by the
 * `canaryRepair` workflow (workflows/repair.ts), started under the service's workflow id so that it
 * becomes the newest run: its completion unblocks the service, its failure keeps it blocked.
 * Refused with NothingToRepairError when the newest run does not block, and with
 * RepairConflictError while a release or another repair runs.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { releaseWorkflowId } from '../core/spec.js';
import { REPAIR_WORKFLOW_TYPE, TASK_QUEUE, type ReleaseStatus } from '../workflows/messages.js';
import type { canaryRepair, RepairWorkflowInput } from '../workflows/repair.js';
import {
  NamespaceKey,
  PhaseKey,
  ReleaseIdKey,
  ServiceKey,
  VersionKey,
  WeightKey,
} from '../workflows/state.js';
import { NothingToRepairError, RepairConflictError } from './errors.js';
import { blocks, endedBecause, lastRun, recordedStatus, type LastRun } from './reads.js';
import { readRunRecord } from './run-history.js';

export interface RepairTarget {
  namespace: string;
  service: string;
}

export interface RepairOptions {
  /** Who repairs (the API token's name); recorded in the repaired release's status. */
  actor: string;
  reason?: string;
  taskQueue?: string;
}

/** A repair that was started: the repaired release's id and the repair's own run. */
export interface StartedRepair {
  releaseId: string;
  workflowId: string;
  runId: string;
  /** The run that is being repaired. */
  repairedRunId: string;
}

/** Refuses a repair unless the newest run blocks the service (see the file comment). */
async function requireBlocked(
  client: Client,
  target: RepairTarget,
  workflowId: string,
): Promise<LastRun> {
  const { namespace, service } = target;
  const last = await lastRun(client, workflowId);
  if (!last) throw new NothingToRepairError(namespace, service);
  if (last.status === 'RUNNING')
    throw new RepairConflictError(
      namespace,
      service,
      workflowId,
      last.releaseId,
      last.type === REPAIR_WORKFLOW_TYPE,
    );
  if (!blocks(last)) {
    // a completed run recorded its phase (Promoted, RolledBack, Repaired, ...); a cancelled one
    // would need a worker to tell it, and its status says enough
    const phase =
      last.status === 'COMPLETED'
        ? await recordedStatus(client, { workflowId, runId: last.runId }).then((s) => s?.phase)
        : undefined;
    throw new NothingToRepairError(namespace, service, {
      releaseId: last.releaseId,
      workflowStatus: last.status,
      ...(phase !== undefined ? { phase } : {}),
    });
  }
  return last;
}

/**
 * The repair workflow's input, from the blocking run: its spec and what its history says of
 * stable and routing. A failed repair is repaired as the release it was repairing.
 */
async function repairInput(
  client: Client,
  workflowId: string,
  last: LastRun,
  options: RepairOptions,
): Promise<RepairWorkflowInput> {
  const run = await readRunRecord(client, workflowId, last.runId);
  const earlier =
    run.type === REPAIR_WORKFLOW_TYPE ? (run.input as Partial<RepairWorkflowInput>) : undefined;
  const lastStatus =
    last.status === 'FAILED'
      ? await recordedStatus(client, { workflowId, runId: last.runId })
      : undefined;
  const because = earlier
    ? earlier.endedBecause
    : await endedBecause(client, workflowId, last.runId).catch(() => undefined);
  return {
    spec: run.input.spec,
    actor: options.actor,
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
    repairedRunId: earlier?.repairedRunId ?? last.runId,
    endedAs: earlier?.endedAs ?? last.status,
    ...(because !== undefined ? { endedBecause: because } : {}),
    stableSnapshot: run.stableSnapshot,
    promoted: run.promoted,
    ...(lastStatus ? { lastStatus } : {}),
    ...(run.lastWeights ? { lastWeights: run.lastWeights } : {}),
  };
}

/** Starts the repair of a blocked service (see the file comment for the rules it enforces). */
export async function startRepair(
  client: Client,
  target: RepairTarget,
  options: RepairOptions,
): Promise<StartedRepair> {
  const workflowId = releaseWorkflowId(target.namespace, target.service);
  const last = await requireBlocked(client, target, workflowId);
  const input = await repairInput(client, workflowId, last, options);
  const { spec } = input;
  const weight = input.lastStatus?.weights.canary ?? input.lastWeights?.canary ?? 0;
  try {
    const handle = await client.workflow.start<typeof canaryRepair>(REPAIR_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: options.taskQueue ?? TASK_QUEUE,
      args: [input],
      memo: { releaseId: spec.releaseId, repair: true },
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: PhaseKey, value: 'Repairing' },
        { key: ServiceKey, value: spec.service },
        { key: NamespaceKey, value: spec.namespace },
        { key: VersionKey, value: spec.canaryVersion },
        { key: WeightKey, value: weight },
        { key: ReleaseIdKey, value: spec.releaseId },
      ],
    });
    return {
      releaseId: spec.releaseId,
      workflowId,
      runId: handle.firstExecutionRunId,
      repairedRunId: last.runId,
    };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    // a release or another repair started since the check
    const now = await lastRun(client, workflowId);
    throw new RepairConflictError(
      target.namespace,
      target.service,
      workflowId,
      now?.releaseId,
      now?.type === REPAIR_WORKFLOW_TYPE,
    );
  }
}

/** The repair's outcome: the repaired release's status, phase Repaired, or Failed with why. */
export function repairOutcome(client: Client, repair: StartedRepair): Promise<ReleaseStatus> {
  return recordedStatus(client, repair).then((status) => {
    if (!status)
      throw new Error(`the repair of release ${repair.releaseId} ended without a status`);
    return status;
  });
}
