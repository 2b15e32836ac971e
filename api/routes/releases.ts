/**
 * `/v1/releases`: start a release, list releases, read one release's status. Actions and the event
 * stream are mounted here too (routes/actions.ts, routes/events.ts) so the resource is one sub-app.
 */
import { randomInt } from 'node:crypto';
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { EngineCapabilities } from '../../core/capabilities.js';
import { releaseSpecSchema, validateReleaseSpec, type SubmittedSpec } from '../../core/spec.js';
import { requireRole } from '../auth.js';
import {
  locateInScope,
  releaseLinks,
  statusView,
  summaryView,
  type AppEnv,
  type RouteDeps,
} from '../context.js';
import { limitBody, parseJsonBody, validationHook } from '../middleware.js';
import { invalidRequest } from '../problems.js';
import {
  jsonContent,
  listQuery,
  problemResponses,
  releaseCreatedSchema,
  releaseIdParams,
  releaseListSchema,
  releaseStatusSchema,
} from '../schemas.js';
import { mayTouchWorkflow, requireScope, scopeClause } from '../scopes.js';
import { actionRoutes } from './actions.js';
import { eventRoutes } from './events.js';
import { seriesRoutes } from './series.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `<service>-<canaryVersion>-<6 random chars>`, shortened to fit RELEASE_ID_RE's 128 characters. */
export function generateReleaseId(service: string, canaryVersion: string): string {
  const suffix = Array.from({ length: 6 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  const prefix = `${service}-${canaryVersion}`.slice(0, 121).replace(/[^A-Za-z0-9]+$/, '');
  return `${prefix}-${suffix}`;
}

/**
 * The spec with every default filled in, or a 400 listing its problems: validateReleaseSpec is the
 * only spec validator, so the API reports what `canary spec` prints for the same spec.
 */
function validSpec(body: unknown, capabilities: EngineCapabilities): SubmittedSpec {
  const checked = validateReleaseSpec(body, {
    capabilities,
    newReleaseId: ({ service, canaryVersion }) => generateReleaseId(service, canaryVersion),
  });
  if (!checked.ok) throw invalidRequest(checked.problems, 'release spec');
  return checked.spec;
}

/**
 * The start route's body validator defers to validSpec, so a bad spec's problems come from one
 * place. (@hono/zod-validator hands the hook the raw body as `data`, also when it is invalid.)
 */
function specHook(
  result: { success: boolean; target: string; data?: unknown },
  c: Context,
  capabilities: EngineCapabilities,
): undefined {
  if (!result.success && result.target === 'json') validSpec(result.data, capabilities);
  validationHook(result as Parameters<typeof validationHook>[0], c);
  return undefined;
}

export function releasesApp(deps: RouteDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const { gateway, metrics, tokens } = deps;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['releases'],
      operationId: 'startRelease',
      summary: 'Start a release',
      description:
        "Starts a canary release from a release spec. Re-sending a spec whose releaseId is running answers 200 with that release (a CI retry is safe); re-sending the releaseId of the service's last release after it ended is a 409 (release-ended).",
      security: [{ bearerAuth: [] }],
      middleware: [
        requireRole(tokens, 'deployer'),
        limitBody(deps.maxBodyBytes),
        parseJsonBody,
      ] as const,
      request: {
        body: {
          required: true,
          description: 'The release spec.',
          content: jsonContent(releaseSpecSchema),
        },
      },
      responses: {
        201: {
          description: 'The release was started.',
          content: jsonContent(releaseCreatedSchema),
        },
        200: {
          description: 'The same release (same releaseId) is already running.',
          content: jsonContent(releaseCreatedSchema),
        },
        ...problemResponses(400, 401, 403, 409, 413, 415, 503),
      },
    }),
    async (c) => {
      // the raw body, not the route validator's output: validateReleaseSpec alone judges a spec
      const body: unknown = await c.req.json();
      const spec = validSpec(body, deps.capabilities);
      const caller = c.get('caller');
      requireScope(caller, spec, `start a release of ${spec.namespace}/${spec.service}`);
      const idChosen = (body as { releaseId?: unknown }).releaseId !== undefined;
      const started = await gateway.start(spec, {
        taskQueue: deps.taskQueue,
        idChosen,
        startedBy: caller.name,
      });
      if (started.created) metrics.releaseStarted(spec.service);
      const links = releaseLinks(deps, started.releaseId, started.workflowId, started.runId);
      c.header('location', links.self);
      const answer = {
        id: started.releaseId,
        created: started.created,
        workflowId: started.workflowId,
        runId: started.runId,
        links,
      };
      return started.created ? c.json(answer, 201) : c.json(answer, 200);
    },
    (result, c) => specHook(result, c, deps.capabilities),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['releases'],
      operationId: 'listReleases',
      summary: 'List releases',
      description:
        'Running releases first (newest started first), then finished ones (most recently finished first). Paginated: pass nextCursor as cursor. A scoped token sees only releases within its scopes; a page may then hold fewer than pageSize releases, so follow nextCursor until it is null.',
      security: [{ bearerAuth: [] }],
      middleware: [requireRole(tokens, 'viewer')] as const,
      request: { query: listQuery },
      responses: {
        200: { description: 'One page of releases.', content: jsonContent(releaseListSchema) },
        ...problemResponses(400, 401, 403, 503),
      },
    }),
    async (c) => {
      // a scoped token's list: narrowed in the query where the scopes can be said there, and
      // always filtered after reading (a page may then hold fewer releases; nextCursor stays honest)
      const { scopes } = c.get('caller');
      const page = await gateway.list(c.req.valid('query'), scopeClause(scopes));
      const releases = page.executions
        .filter((e) => mayTouchWorkflow(scopes, e.workflowId))
        .map((e) => summaryView(deps, e));
      return c.json({ releases, nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      tags: ['releases'],
      operationId: 'getRelease',
      summary: 'Release status',
      description:
        'Phase, step, weights, time left in the window, pending gate, every decision with its numbers and explanation, every action with its actor, and the timeline. Works for finished releases too.',
      security: [{ bearerAuth: [] }],
      middleware: [requireRole(tokens, 'viewer')] as const,
      request: { params: releaseIdParams },
      responses: {
        200: { description: 'The release status.', content: jsonContent(releaseStatusSchema) },
        ...problemResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const release = await locateInScope(deps, c.get('caller'), c.req.valid('param').id, 'read');
      const status = await gateway.status(release);
      metrics.observeStatus(status);
      return c.json(statusView(deps, release, status), 200);
    },
  );

  app.route('/', actionRoutes(deps));
  app.route('/', eventRoutes(deps));
  app.route('/', seriesRoutes(deps));
  return app;
}
