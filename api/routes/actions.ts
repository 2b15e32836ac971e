/**
 * `/v1/releases/{id}/approve|abort|pause|resume|promote|rollback|abandon`: people acting on a
 * running release. Each is the workflow's update (sent by client/actions.ts), so the caller learns
 * at once whether it was accepted (200 with the new status) or why not (409 with the validator's
 * reason). The actor is the token's name and goes into the update payload, so the release history
 * records who did what.
 */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { actOnRelease, type ActionPayload } from '../../client/actions.js';
import { ACTION_KINDS, type ActionKind, type ReleaseStatus } from '../../workflows/messages.js';
import { requireRole, type Role } from '../auth.js';
import { locateInScope, statusView, type AppEnv, type RouteDeps } from '../context.js';
import { limitBody, parseJsonBody } from '../middleware.js';
import {
  abortBody,
  commentBody,
  jsonContent,
  problemResponses,
  releaseIdParams,
  releaseStatusSchema,
} from '../schemas.js';
import type { LocatedRelease } from '../temporal.js';

const DESCRIPTIONS: Record<ActionKind, string> = {
  approve:
    'Approves the pending gate (a step, the promotion, or a hold). 409 when no gate is pending.',
  abort:
    'Aborts the release: all traffic goes back to stable at once. The reason is required and recorded.',
  pause: "Pauses the release: the observation window's clock stops until resume.",
  resume: 'Resumes a paused release where its window stopped.',
  promote: 'Skips the remaining steps and promotes the canary now.',
  rollback:
    'During the bake after promotion (phase Baking): restores the pre-promotion stable workload and ends RolledBack. 409 in any other phase.',
  abandon:
    'Gives up a rollback that keeps failing (phase RollbackRetrying): the release ends Failed and the service needs `canary repair`. 409 in any other phase.',
};

/** The role every action needs (`GET /v1/me` tells the dashboard which actions a caller has). */
export const ACTION_ROLE: Role = 'approver';

export function actionRoutes(deps: RouteDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  // the rules live in client/actions.ts; here only the deadline and the status cache
  const act = async (
    release: LocatedRelease,
    kind: ActionKind,
    payload: ActionPayload,
  ): Promise<ReleaseStatus> => {
    const status = await deps.gateway.call(() =>
      actOnRelease(deps.gateway.client, release, kind, payload),
    );
    deps.gateway.rememberStatus(release, status);
    return status;
  };

  // every action but abort (its reason is required): generated from ACTION_KINDS
  for (const kind of ACTION_KINDS.filter((k) => k !== 'abort')) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/{id}/${kind}`,
        tags: ['actions'],
        operationId: `${kind}Release`,
        summary: `${kind[0]?.toUpperCase()}${kind.slice(1)} a release`,
        description: DESCRIPTIONS[kind],
        security: [{ bearerAuth: [] }],
        middleware: [
          requireRole(deps.tokens, ACTION_ROLE),
          limitBody(deps.maxBodyBytes),
          parseJsonBody,
        ] as const,
        request: {
          params: releaseIdParams,
          body: { required: false, content: jsonContent(commentBody) },
        },
        responses: {
          200: {
            description: 'Accepted; the release status after the action.',
            content: jsonContent(releaseStatusSchema),
          },
          ...problemResponses(400, 401, 403, 404, 409, 413, 415, 503),
        },
      }),
      async (c) => {
        const caller = c.get('caller');
        const release = await locateInScope(deps, caller, c.req.valid('param').id, kind, {
          fresh: true,
        });
        const { comment } = c.req.valid('json');
        const status = await act(release, kind, {
          actor: caller.name,
          ...(comment !== undefined ? { comment } : {}),
        });
        deps.metrics.observeStatus(status);
        return c.json(statusView(deps, release, status), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/abort',
      tags: ['actions'],
      operationId: 'abortRelease',
      summary: 'Abort a release',
      description: DESCRIPTIONS.abort,
      security: [{ bearerAuth: [] }],
      middleware: [
        requireRole(deps.tokens, ACTION_ROLE),
        limitBody(deps.maxBodyBytes),
        parseJsonBody,
      ] as const,
      request: {
        params: releaseIdParams,
        body: { required: true, content: jsonContent(abortBody) },
      },
      responses: {
        200: {
          description: 'Accepted; the release status after the abort (rolling back).',
          content: jsonContent(releaseStatusSchema),
        },
        ...problemResponses(400, 401, 403, 404, 409, 413, 415, 503),
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      const release = await locateInScope(deps, caller, c.req.valid('param').id, 'abort', {
        fresh: true,
      });
      const { reason } = c.req.valid('json');
      const status = await act(release, 'abort', { actor: caller.name, reason });
      deps.metrics.observeStatus(status);
      return c.json(statusView(deps, release, status), 200);
    },
  );

  return app;
}
