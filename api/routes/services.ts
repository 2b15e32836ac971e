/**
 * `/v1/services/{namespace}/{service}/repair`: puts a service back in order after its release
 * ended Failed, was terminated or timed out (client/repair.ts holds the rules, workflows/repair.ts
 * does it). The same role as abort (approver), within the token's scopes. The request waits for
 * the repair up to `repairWaitMs` (30 s by default) and answers 200 with the repaired release's
 * status (phase Repaired, or Failed with why the repair failed); a repair still running then (it
 * may wait for stable's rollout) is a 202 with where to follow it.
 */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { repairOutcome, startRepair, type StartedRepair } from '../../client/repair.js';
import { locatedRelease } from '../../client/reads.js';
import type { ReleaseStatus } from '../../workflows/messages.js';
import { requireRole } from '../auth.js';
import { releaseLinks, statusView, type AppEnv, type RouteDeps } from '../context.js';
import { limitBody, parseJsonBody } from '../middleware.js';
import { jsonContent, problemResponses, releaseStatusSchema } from '../schemas.js';
import { repairAcceptedSchema, repairBody, serviceParams } from '../repair-schemas.js';
import { requireScope } from '../scopes.js';
import { temporalCondition } from '../temporal.js';

const DESCRIPTION = [
  "Repairs a service whose last release ended Failed, was terminated or timed out (such a release blocks the service's next start with 409 service-blocked):",
  "stable's pre-promotion template is restored when the failed release had changed stable and not put it back, all traffic goes to stable, and the canary is scaled down.",
  'Who repaired, when, why and what was done are recorded in the release status (`repair`, phase Repaired).',
  'Waits for the repair (up to 30 s): 200 with the status, phase Repaired — or Failed with the reason, and the service stays blocked;',
  '202 when it is still running (follow links.self). 409 nothing-to-repair when the last release does not block the service; 409 release-conflict while a release or a repair runs.',
].join(' ');

export function servicesApp(deps: RouteDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const { gateway } = deps;

  /** The repair's outcome, or undefined when it did not end within the wait. */
  const outcome = async (started: StartedRepair): Promise<ReleaseStatus | undefined> => {
    try {
      return await gateway.call(() => repairOutcome(gateway.client, started), deps.repairWaitMs);
    } catch (error) {
      if (temporalCondition(error) === 'deadline') return undefined;
      throw error;
    }
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{namespace}/{service}/repair',
      tags: ['services'],
      operationId: 'repairService',
      summary: 'Repair a service after a failed or terminated release',
      description: DESCRIPTION,
      security: [{ bearerAuth: [] }],
      middleware: [
        requireRole(deps.tokens, 'approver'),
        limitBody(deps.maxBodyBytes),
        parseJsonBody,
      ] as const,
      request: {
        params: serviceParams,
        body: { required: false, content: jsonContent(repairBody) },
      },
      responses: {
        200: {
          description:
            "The repair ended: the release's status, phase Repaired (or Failed: the repair failed and the service stays blocked).",
          content: jsonContent(releaseStatusSchema),
        },
        202: {
          description: 'The repair is still running; follow it at links.self (Location).',
          content: jsonContent(repairAcceptedSchema),
        },
        ...problemResponses(400, 401, 403, 409, 413, 415, 503),
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      const target = c.req.valid('param');
      // before Temporal is asked anything: a scoped token learns nothing of other services
      requireScope(caller, target, `repair ${target.namespace}/${target.service}`);
      const { reason } = c.req.valid('json');
      const started = await gateway.call(() =>
        startRepair(gateway.client, target, {
          actor: caller.name,
          ...(reason !== undefined ? { reason } : {}),
          taskQueue: deps.taskQueue,
        }),
      );
      gateway.rememberStart(started.releaseId, started.workflowId, started.runId);
      deps.logger.info(
        { releaseId: started.releaseId, workflowId: started.workflowId, actor: caller.name },
        'repair started',
      );
      const status = await outcome(started);
      const links = releaseLinks(deps, started.releaseId, started.workflowId, started.runId);
      c.header('location', links.self);
      if (!status) {
        return c.json(
          {
            id: started.releaseId,
            workflowId: started.workflowId,
            runId: started.runId,
            links,
          },
          202,
        );
      }
      deps.metrics.observeStatus(status);
      const release = locatedRelease(
        gateway.client,
        started.releaseId,
        started.workflowId,
        started.runId,
        status.phase === 'Repaired' ? 'COMPLETED' : 'FAILED',
      );
      return c.json(statusView(deps, release, status), 200);
    },
  );

  return app;
}
