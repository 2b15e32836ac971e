/**
 * `/v1/releases/{id}/approve|abort|pause|resume|promote`: people acting on a running release. Each
 * is the workflow's update, so the caller learns at once whether it was accepted (200 with the new
 * status) or why not (409 with the validator's reason). The actor is the token's name and goes
 * into the update payload, so the release history records who did what.
 */
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, type UpdateDefinition } from '@temporalio/client';
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import {
  abortUpdate, approveUpdate, OTHER_RELEASE_FAILURE, pauseUpdate, promoteUpdate, resumeUpdate,
  type ActionArgs, type ActionKind, type ReleaseStatus,
} from '../../workflows/messages.js';
import { requireRole } from '../auth.js';
import { locateOr404, statusView, type AppEnv, type RouteDeps } from '../context.js';
import { limitBody, parseJsonBody } from '../middleware.js';
import { ProblemError } from '../problems.js';
import { abortBody, commentBody, jsonContent, problemResponses, releaseIdParams, releaseStatusSchema } from '../schemas.js';
import type { LocatedRelease } from '../temporal.js';

type ActionUpdate = UpdateDefinition<ReleaseStatus, [ActionArgs]>;

const DESCRIPTIONS: Record<ActionKind, string> = {
  approve: 'Approves the pending gate (a step, the promotion, or a hold). 409 when no gate is pending.',
  abort: 'Aborts the release: all traffic goes back to stable at once. The reason is required and recorded.',
  pause: 'Pauses the release: the observation window\'s clock stops until resume.',
  resume: 'Resumes a paused release where its window stopped.',
  promote: 'Skips the remaining steps and promotes the canary now.',
};

/** "already ended" 409, naming the final phase when it can be read cheaply. */
async function endedProblem(deps: RouteDeps, release: LocatedRelease, kind: ActionKind): Promise<ProblemError> {
  const phase = await deps.gateway.finalStatus(release).then((s) => s.phase, () => release.status);
  return new ProblemError(409, 'release-ended', `cannot ${kind} release ${release.releaseId}: the release has already ended (${phase})`, { releaseId: release.releaseId });
}

export function actionRoutes(deps: RouteDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  const act = async (release: LocatedRelease, kind: ActionKind, update: ActionUpdate, payload: Omit<ActionArgs, 'releaseId'>): Promise<ReleaseStatus> => {
    if (!release.running) throw await endedProblem(deps, release, kind);
    try {
      // the release id goes along: should the service's next release have taken the workflow id
      // since the lookup, the workflow refuses an action meant for this one
      const status = await deps.gateway.call(() => release.handle.executeUpdate(update, { args: [{ ...payload, releaseId: release.releaseId }] }));
      deps.gateway.rememberStatus(release, status);
      return status;
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === OTHER_RELEASE_FAILURE) {
        throw await endedProblem(deps, release, kind);
      }
      if (error instanceof WorkflowUpdateFailedError) {
        const reason = error.cause?.message ?? error.message;
        throw new ProblemError(409, 'action-not-applicable', `cannot ${kind} release ${release.releaseId}: ${reason}`, { releaseId: release.releaseId, reason });
      }
      if (error instanceof WorkflowNotFoundError) throw await endedProblem(deps, release, kind);
      throw error;
    }
  };

  for (const [kind, update] of [['approve', approveUpdate], ['pause', pauseUpdate], ['resume', resumeUpdate], ['promote', promoteUpdate]] as const) {
    app.openapi(createRoute({
      method: 'post', path: `/{id}/${kind}`, tags: ['actions'], operationId: `${kind}Release`,
      summary: `${kind[0]?.toUpperCase()}${kind.slice(1)} a release`,
      description: DESCRIPTIONS[kind],
      security: [{ bearerAuth: [] }],
      middleware: [requireRole(deps.tokens, 'approver'), limitBody(deps.maxBodyBytes), parseJsonBody] as const,
      request: { params: releaseIdParams, body: { required: false, content: jsonContent(commentBody) } },
      responses: {
        200: { description: 'Accepted; the release status after the action.', content: jsonContent(releaseStatusSchema) },
        ...problemResponses(400, 401, 403, 404, 409, 413, 415, 503),
      },
    }), async (c) => {
      const release = await locateOr404(deps, c.req.valid('param').id, { fresh: true });
      const { comment } = c.req.valid('json');
      const status = await act(release, kind, update, { actor: c.get('caller').name, ...(comment !== undefined ? { comment } : {}) });
      deps.metrics.observeStatus(status);
      return c.json(statusView(deps, release, status), 200);
    });
  }

  app.openapi(createRoute({
    method: 'post', path: '/{id}/abort', tags: ['actions'], operationId: 'abortRelease',
    summary: 'Abort a release',
    description: DESCRIPTIONS.abort,
    security: [{ bearerAuth: [] }],
    middleware: [requireRole(deps.tokens, 'approver'), limitBody(deps.maxBodyBytes), parseJsonBody] as const,
    request: { params: releaseIdParams, body: { required: true, content: jsonContent(abortBody) } },
    responses: {
      200: { description: 'Accepted; the release status after the abort (rolling back).', content: jsonContent(releaseStatusSchema) },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 503),
    },
  }), async (c) => {
    const release = await locateOr404(deps, c.req.valid('param').id, { fresh: true });
    const { reason } = c.req.valid('json');
    const status = await act(release, 'abort', abortUpdate as ActionUpdate, { actor: c.get('caller').name, reason });
    deps.metrics.observeStatus(status);
    return c.json(statusView(deps, release, status), 200);
  });

  return app;
}
