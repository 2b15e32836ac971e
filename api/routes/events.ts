/**
 * `/v1/releases/{id}/events`: the release as Server-Sent Events — every phase change, weight change,
 * decision and action as it happens, then a `verdict` event when the release ends. Resumable with
 * Last-Event-ID; ends when the server shuts down (clients reconnect and resume).
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { requireRole } from '../auth.js';
import { locateInScope, type AppEnv, type RouteDeps } from '../context.js';
import { parseCursor, runEventStream, type StreamSource } from '../events.js';
import { eventStreamContent, releaseEventSchema } from '../event-schemas.js';
import { problemResponses, releaseIdParams } from '../schemas.js';

const STREAM_DESCRIPTION = [
  'Server-Sent Events. First a `status` event (the current status without timeline and decisions), then',
  '`phase`, `weight`, `decision` (with the decision record: verdict, explanation and every number),',
  '`action` and `warning` events as they happen, each with an `id` to resume from (Last-Event-ID),',
  'and finally a `verdict` event ({verdict: promoted | rolled back | rejected | failed | repaired | ended, phase, outcome, status}),',
  'after which the stream ends. `unavailable` says Temporal cannot be reached right now (the stream waits);',
  '`failure` says the status cannot be read at all (the stream ends).',
].join(' ');

export function eventRoutes(deps: RouteDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openAPIRegistry.register('ReleaseEvent', releaseEventSchema);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/events',
      tags: ['releases'],
      operationId: 'releaseEvents',
      summary: 'Follow a release as it happens',
      description: STREAM_DESCRIPTION,
      security: [{ bearerAuth: [] }],
      middleware: [requireRole(deps.tokens, 'viewer')] as const,
      request: {
        params: releaseIdParams,
        headers: z.object({
          'last-event-id': z
            .string()
            .max(64)
            .optional()
            .openapi({
              param: { name: 'last-event-id', in: 'header' },
              description: 'Resume after this event.',
            }),
        }),
      },
      responses: {
        200: {
          description: 'The event stream.',
          content: eventStreamContent,
        },
        ...problemResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const release = await locateInScope(deps, c.get('caller'), c.req.valid('param').id, 'follow');
      const start = parseCursor(c.req.valid('header')['last-event-id']);
      const { gateway, metrics } = deps;
      const source: StreamSource = {
        read: async () => {
          const status = await gateway.status(release);
          metrics.observeStatus(status);
          return status;
        },
        // the workflow id follows continue-as-new; once its newest run is closed or runs another
        // release (this one was terminated and the service started anew), this release has ended
        ended: async () => {
          const run = await gateway.lastRun(release.workflowId);
          if (run?.status === 'RUNNING' && run.releaseId === release.releaseId) return undefined;
          // the release's own run, uncached: a status read a moment before it finished must not be reused
          const status = await gateway.finalStatus(release);
          metrics.observeStatus(status);
          return status;
        },
        unavailable: async (error) => (await gateway.unavailableProblem(error))?.message,
        failed: (error) =>
          deps.logger.error(
            { err: error, releaseId: release.releaseId },
            'event stream cannot read the release',
          ),
      };
      return streamSSE(
        c,
        async (stream) => {
          const clientGone = new AbortController();
          stream.onAbort(() => clientGone.abort());
          // AbortSignal.any is aborted at once when the server was already shutting down
          const signal = AbortSignal.any([deps.shutdown, clientGone.signal]);
          await runEventStream(stream, source, start, {
            pollMs: deps.streamPollMs,
            signal,
            foundNotRunning: !release.running,
          });
        },
        async (error) => {
          deps.logger.error({ err: error, releaseId: release.releaseId }, 'event stream failed');
        },
      );
    },
  );

  return app;
}
