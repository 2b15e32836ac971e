/**
 * People acting on a running release (approve, abort, pause, resume, promote, rollback during the
 * bake, abandon a failing rollback): each is the
 * workflow's update, sent with the release id so the workflow refuses an action meant for an
 * earlier release of the service. Refusals come back as typed errors: ReleaseEndedError (naming
 * the final phase), ActionForbiddenError (four eyes) or ActionNotApplicableError (with the
 * workflow's reason).
 */
import {
  ApplicationFailure,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type UpdateDefinition,
} from '@temporalio/client';
import {
  abortUpdate,
  approveUpdate,
  DISTINCT_APPROVER_FAILURE,
  OTHER_RELEASE_FAILURE,
  pauseUpdate,
  promoteUpdate,
  resumeUpdate,
  rollbackUpdate,
  abandonUpdate,
  type ActionArgs,
  type ActionKind,
  type ReleaseStatus,
} from '../workflows/messages.js';
import { ActionForbiddenError, ActionNotApplicableError, ReleaseEndedError } from './errors.js';
import { finalStatus, type LocatedRelease } from './reads.js';

type ActionUpdate = UpdateDefinition<ReleaseStatus, [ActionArgs]>;

const UPDATES: Record<ActionKind, ActionUpdate> = {
  approve: approveUpdate,
  abort: abortUpdate as ActionUpdate,
  pause: pauseUpdate,
  resume: resumeUpdate,
  promote: promoteUpdate,
  rollback: rollbackUpdate,
  abandon: abandonUpdate,
};

/** An action's payload; `reason` is required for abort (the API's schema checks it). */
export type ActionPayload = Omit<ActionArgs, 'releaseId'>;

/** "already ended", naming the final phase when it can be read cheaply. */
async function endedError(
  client: Client,
  release: LocatedRelease,
  kind: ActionKind,
): Promise<ReleaseEndedError> {
  const phase = await finalStatus(client, release).then(
    (s) => s.phase,
    () => release.status,
  );
  return ReleaseEndedError.onAction(release.releaseId, kind, phase);
}

/** Sends the action to the release and returns its status after the action. */
export async function actOnRelease(
  client: Client,
  release: LocatedRelease,
  kind: ActionKind,
  payload: ActionPayload,
): Promise<ReleaseStatus> {
  if (!release.running) throw await endedError(client, release, kind);
  try {
    // the release id goes along: should the service's next release have taken the workflow id
    // since the lookup, the workflow refuses an action meant for this one
    return await release.handle.executeUpdate(UPDATES[kind], {
      args: [{ ...payload, releaseId: release.releaseId }],
    });
  } catch (error) {
    if (
      error instanceof WorkflowUpdateFailedError &&
      error.cause instanceof ApplicationFailure &&
      error.cause.type === OTHER_RELEASE_FAILURE
    ) {
      throw await endedError(client, release, kind);
    }
    if (
      error instanceof WorkflowUpdateFailedError &&
      error.cause instanceof ApplicationFailure &&
      error.cause.type === DISTINCT_APPROVER_FAILURE
    ) {
      const reason = error.cause.message;
      throw new ActionForbiddenError(
        release.releaseId,
        kind,
        'policies.approval.distinctApprover',
        reason,
      );
    }
    if (error instanceof WorkflowUpdateFailedError) {
      throw new ActionNotApplicableError(
        release.releaseId,
        kind,
        error.cause?.message ?? error.message,
      );
    }
    if (error instanceof WorkflowNotFoundError) throw await endedError(client, release, kind);
    throw error;
  }
}
