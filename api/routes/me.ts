/**
 * `GET /v1/me`: who the caller is — the name recorded with its actions, its roles, its scopes and
 * the actions its roles allow — so the dashboard shows only the buttons the caller may use. The
 * server still checks every action (roles in api/auth.ts, scopes in api/scopes.ts).
 */
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { ACTION_KINDS } from '../../workflows/messages.js';
import { requireRole } from '../auth.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { jsonContent, problemResponses } from '../schemas.js';
import { formatScope } from '../scopes.js';
import { meSchema } from '../ui-schemas.js';
import { ACTION_ROLE } from './actions.js';

export function meApp(deps: RouteDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['dashboard'],
      operationId: 'me',
      summary: 'Who the caller is',
      description:
        "The caller's name, roles and scopes, and the actions its roles allow. Any valid token may ask.",
      security: [{ bearerAuth: [] }],
      middleware: [requireRole(deps.tokens, undefined)] as const,
      responses: {
        200: { description: 'The caller.', content: jsonContent(meSchema) },
        ...problemResponses(401),
      },
    }),
    (c) => {
      const caller = c.get('caller');
      return c.json(
        {
          name: caller.name,
          roles: [...caller.roles],
          scopes: caller.scopes ? caller.scopes.map(formatScope) : null,
          actions: caller.roles.has(ACTION_ROLE) ? [...ACTION_KINDS] : [],
        },
        200,
      );
    },
  );
  return app;
}
