/**
 * Public operational routes: `/healthz` (the process is up), `/readyz` (Temporal answers within a
 * short deadline; 503 otherwise) and `/metrics` (Prometheus text format).
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { AppEnv, RouteDeps } from '../context.js';
import { ProblemError } from '../problems.js';
import { healthSchema, jsonContent, problemResponses, readySchema } from '../schemas.js';

const READY_TIMEOUT_MS = 2000;

export function systemApp(deps: RouteDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['system'],
      operationId: 'health',
      summary: 'Liveness: the API process is up',
      responses: { 200: { description: 'Up.', content: jsonContent(healthSchema) } },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['system'],
      operationId: 'ready',
      summary: 'Readiness: Temporal is reachable',
      responses: {
        200: { description: 'Temporal answered.', content: jsonContent(readySchema) },
        ...problemResponses(503),
      },
    }),
    async (c) => {
      let serverVersion: string | null;
      try {
        serverVersion = await deps.gateway.systemInfo(READY_TIMEOUT_MS);
      } catch (error) {
        const where = deps.gateway.address ? ` at ${deps.gateway.address}` : '';
        const reason = error instanceof Error ? `: ${error.message}` : '';
        throw new ProblemError(
          503,
          'temporal-unavailable',
          `the Temporal server${where} did not answer within ${READY_TIMEOUT_MS / 1000} s${reason}`,
        );
      }
      return c.json({ status: 'ready' as const, temporal: { serverVersion } }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      tags: ['system'],
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      responses: {
        200: {
          description: 'Prometheus text exposition format.',
          content: { 'text/plain': { schema: z.string() } },
        },
      },
    }),
    async (c) => {
      const { contentType, body } = await deps.metrics.render();
      return c.text(body, 200, { 'content-type': contentType });
    },
  );

  return app;
}
