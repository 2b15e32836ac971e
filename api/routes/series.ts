/**
 * `GET /v1/releases/{id}/series`: what the dashboard's release page draws besides the status — the
 * step plan and the per-bucket canary and baseline series of every metric (api/series.ts). Read-only;
 * viewers may read it. The spec comes from the release's own start event, cached per run (a run's
 * input never changes).
 */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { readStartSpec } from '../../client/run-history.js';
import type { SubmittedSpec } from '../../core/spec.js';
import { requireRole } from '../auth.js';
import { BoundedMap } from '../bounded-map.js';
import { locateInScope, type AppEnv, type RouteDeps } from '../context.js';
import { ProblemError } from '../problems.js';
import { jsonContent, problemResponses, releaseIdParams } from '../schemas.js';
import { releaseSeries } from '../series.js';
import { seriesSchema } from '../ui-schemas.js';

/** How long the series query may take before the page is answered without it. */
const SERIES_TIMEOUT_MS = 8000;

export function seriesRoutes(deps: RouteDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const specs = new BoundedMap<string, Promise<SubmittedSpec | undefined>>(500);
  const specOf = (workflowId: string, runId: string): Promise<SubmittedSpec | undefined> => {
    const key = `${workflowId}#${runId}`;
    let spec = specs.get(key);
    if (!spec) {
      spec = deps.gateway.call(() => readStartSpec(deps.gateway.client, workflowId, runId));
      specs.set(key, spec);
      spec.catch(() => specs.delete(key));
    }
    return spec;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/series',
      tags: ['dashboard'],
      operationId: 'releaseSeries',
      summary: "The release's plan and per-bucket series, for charts",
      description:
        "The step plan, the metrics the judge compares, and per-bucket canary and baseline values of every metric over the release's time range, read from the release's own metrics source. When they cannot be read, `series` is null and `seriesProblem` says why (the status's decisions still hold every look's numbers).",
      security: [{ bearerAuth: [] }],
      middleware: [requireRole(deps.tokens, 'viewer')] as const,
      request: { params: releaseIdParams },
      responses: {
        200: { description: 'Plan and series.', content: jsonContent(seriesSchema) },
        ...problemResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const release = await locateInScope(deps, c.get('caller'), c.req.valid('param').id, 'read');
      const [spec, status] = await Promise.all([
        specOf(release.workflowId, release.runId),
        deps.gateway.status(release),
      ]);
      if (!spec)
        throw new ProblemError(
          404,
          'not-found',
          `the run of release ${release.releaseId} holds no release spec`,
        );
      const series = await releaseSeries({
        releaseId: release.releaseId,
        spec,
        status,
        metricsFor: deps.metricsFor,
        now: deps.clock(),
        logger: deps.logger,
        signal: AbortSignal.timeout(SERIES_TIMEOUT_MS),
      });
      return c.json(series, 200);
    },
  );
  return app;
}
