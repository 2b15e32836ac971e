/**
 * What a closed run's history says, for `canary repair` (client/repair.ts): the run's start input
 * (its spec), the stable template it took before promotion and did not put back, and the last
 * weights it recorded. Read from the history itself, so a terminated run — which left no failure
 * details and whose status query needs a worker — is read as fully as a failed one. Payloads are
 * decoded with the client's own data converter (its codecs included).
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { ReleaseSpec, SubmittedSpec } from '../core/spec.js';
import type { Weights } from '../core/types.js';
import type { PromoteResult } from '../activities/contract.js';

type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

/** What a repair needs to know of the run it repairs. */
export interface RunRecord {
  /** The workflow type (canaryRelease, or canaryRepair for a repair that failed). */
  type: string;
  /** The run's start input, as the workflow received it. */
  input: {
    spec: ReleaseSpec;
    stableSnapshot?: unknown;
    promoted?: boolean;
    carried?: { stableSnapshot?: unknown };
  };
  /**
   * Stable's template before promotion while stable may differ from it: taken (snapshotStable)
   * and neither promoted to the end (promoteStable) nor restored (restoreStable) since. Null
   * when stable needs no restoring.
   */
  stableSnapshot: unknown;
  /** The promotion completed: stable runs the canary's version. */
  promoted: boolean;
  /** The weights of the last routing activity that completed, if any did. */
  lastWeights: Weights | undefined;
}

/** Decodes payloads with the client's data converter (codecs last to first, then the converter). */
async function decode(client: Client, payloads: Payloads): Promise<unknown[]> {
  const { payloadConverter, payloadCodecs } = client.options.loadedDataConverter;
  let list = payloads?.payloads ?? [];
  for (const codec of [...payloadCodecs].reverse()) list = await codec.decode(list);
  return list.map((p) => payloadConverter.fromPayload(p));
}

const ROUTING_ACTIVITIES = new Set(['prepareRelease', 'setCanaryWeight', 'finishRelease']);

function isWeights(value: unknown): value is Weights {
  const w = value as Weights | null;
  return typeof w?.stable === 'number' && typeof w.canary === 'number';
}

/**
 * Reads one run's history (workflowId and runId pin it). A run that continued from an earlier one
 * (continue-as-new) or a failed repair carries the earlier snapshot in its input, taken as the
 * starting point.
 */
export async function readRunRecord(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<RunRecord> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new Error(`the history of ${workflowId} run ${runId} has no start event`);
  const [input] = (await decode(client, started.input)) as [RunRecord['input'] | undefined];
  if (!input?.spec) throw new Error(`the run ${runId} of ${workflowId} has no release spec`);
  const record: RunRecord = {
    type: started.workflowType?.name ?? '',
    input,
    stableSnapshot: input.carried?.stableSnapshot ?? input.stableSnapshot ?? null,
    promoted: input.promoted === true,
    lastWeights: undefined,
  };
  const scheduled = new Map<string, string>();
  for (const event of events) {
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes) scheduled.set(String(event.eventId), attributes.activityType?.name ?? '');
    const completed = event.activityTaskCompletedEventAttributes;
    if (!completed) continue;
    const activity = scheduled.get(String(completed.scheduledEventId));
    if (activity === 'snapshotStable') {
      const [result] = (await decode(client, completed.result)) as [PromoteResult | undefined];
      record.stableSnapshot = result?.snapshot ?? null;
    } else if (activity === 'promoteStable') {
      record.stableSnapshot = null;
      record.promoted = true;
    } else if (activity === 'restoreStable') {
      record.stableSnapshot = null;
      record.promoted = false;
    } else if (activity !== undefined && ROUTING_ACTIVITIES.has(activity)) {
      const [result] = await decode(client, completed.result);
      if (isWeights(result)) record.lastWeights = result;
    }
  }
  return record;
}

/**
 * The release spec a run started with, from its first history event alone (one small read, not
 * the whole history). A run that continued from an earlier one carries the spec in its input, so
 * the newest run of a release is enough. Undefined when the run's input holds no spec (a repair).
 */
export async function readStartSpec(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<SubmittedSpec | undefined> {
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  const started = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new Error(`the history of ${workflowId} run ${runId} has no start event`);
  const [input] = (await decode(client, started.input)) as [{ spec?: SubmittedSpec } | undefined];
  return input?.spec;
}
