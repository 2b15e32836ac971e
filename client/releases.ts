/**
 * Starting and finding releases with a Temporal client: shared by the API, the benchmarks and the
 * tests, so "one release per service" and "a retried start is idempotent" hold everywhere.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { releaseWorkflowId, type ReleaseSpec } from '../core/spec.js';
import { RELEASE_WORKFLOW_TYPE, TASK_QUEUE } from '../workflows/messages.js';
import type { ReleaseWorkflowInput } from '../workflows/release.js';
import type { canaryRelease } from '../workflows/release.js';
import { NamespaceKey, PhaseKey, ReleaseIdKey, ServiceKey, VersionKey, WeightKey } from '../workflows/state.js';

/** Another release is already running for the service. */
export class ReleaseConflictError extends Error {
  constructor(readonly workflowId: string, readonly runningReleaseId: string | undefined, service: string, namespace: string) {
    super(`release ${runningReleaseId ?? '(unknown id)'} is already running for service ${namespace}/${service} (workflow ${workflowId})`);
    this.name = 'ReleaseConflictError';
  }
}

export interface StartedRelease {
  /** False when the same release (same releaseId) was already running: a retried start. */
  created: boolean;
  releaseId: string;
  workflowId: string;
  runId: string;
}

export interface StartOptions {
  taskQueue?: string;
  /** Overrides for tests (e.g. a small continue-as-new threshold). */
  historyLimit?: number;
}

export async function startRelease(client: Client, spec: ReleaseSpec, options: StartOptions = {}): Promise<StartedRelease> {
  const workflowId = releaseWorkflowId(spec.namespace, spec.service);
  const input: ReleaseWorkflowInput = { spec, ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}) };
  try {
    const handle = await client.workflow.start<typeof canaryRelease>(RELEASE_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: options.taskQueue ?? TASK_QUEUE,
      args: [input],
      memo: { releaseId: spec.releaseId },
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
    return { created: true, releaseId: spec.releaseId, workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const description = await client.workflow.getHandle(workflowId).describe();
    const runningId = releaseIdOf(description);
    if (runningId === spec.releaseId) return { created: false, releaseId: spec.releaseId, workflowId, runId: description.runId };
    throw new ReleaseConflictError(workflowId, runningId, spec.service, spec.namespace);
  }
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
