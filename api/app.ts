/**
 * The HTTP API as a Hono app, built from injected dependencies (a Temporal client, tokens, metrics,
 * a clock) so tests drive it through `app.request()` and the server only adds a socket. One sub-app
 * per resource; one `onError` that turns every exception into an RFC 9457 problem response.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Tracer } from '@opentelemetry/api';
import type { Client } from '@temporalio/client';
import { CLUSTER_CAPABILITIES, type EngineCapabilities } from '../core/capabilities.js';
import { requestTelemetry } from '../observability/http.js';
import { createLogger } from '../observability/logger.js';
import { TASK_QUEUE } from '../workflows/messages.js';
import type { TokenStore } from './auth.js';
import { ApiAuthenticator } from './authenticator.js';
import type { ApiLogger, AppEnv, RouteDeps } from './context.js';
import { docsApp } from './docs.js';
import { meApp } from './routes/me.js';
import { uiApp, uiListPage } from './ui/app.js';
import type { MetricsProvider } from '../activities/metrics/types.js';
import type { ReleaseSpec } from '../core/spec.js';
import { loginApp } from './oidc/login.js';
import type { OidcAuth } from './oidc/setup.js';
import { ApiMetrics } from './metrics.js';
import { validationHook } from './middleware.js';
import { ProblemError, problemResponse, toProblem } from './problems.js';
import { releasesApp } from './routes/releases.js';
import { servicesApp } from './routes/services.js';
import { systemApp } from './routes/system.js';
import { TemporalGateway } from './temporal.js';

export const DEFAULT_TEMPORAL_UI_URL = 'http://localhost:8233';

export interface AppDeps {
  /** A connected (or lazily connecting) Temporal client. */
  client: Client;
  tokens: TokenStore;
  /** OIDC issuers for bearer JWTs and the dashboard's sign-in (api/oidc/setup.ts); default none. */
  oidc?: OidcAuth;
  /**
   * What the engine behind this API accepts, from the same operator config as its workers
   * (worker/engine-config.ts). Default: not the sandbox, only the "default" metrics source.
   */
  capabilities?: EngineCapabilities;
  /** Task queue of the release workers (default `canary-releases`). */
  taskQueue?: string;
  /** Base URL of the Temporal UI for links (default $TEMPORAL_UI_URL, else http://localhost:8233). */
  temporalUiUrl?: string;
  /** Metrics registry of this app; pass one to read it from outside (default: a new one). */
  metrics?: ApiMetrics;
  /** Wall clock in epoch ms (default Date.now). */
  clock?: () => number;
  /** Deadline of any one Temporal call (default 10 s). */
  temporalTimeoutMs?: number;
  /** How long a running release's status is reused by reads and streams (default 250 ms; 0 turns it off). */
  statusCacheMs?: number;
  /** How long the workflow of a release id is reused by reads (default 1 s; 0 turns it off). */
  locateCacheMs?: number;
  /** How often event streams poll the status (default 500 ms). */
  streamPollMs?: number;
  /** How long a repair request waits for the repair before answering 202 (default 30 s). */
  repairWaitMs?: number;
  /** Request body limit in bytes (default 64 KiB). */
  maxBodyBytes?: number;
  /** Aborting it ends all event streams (the server aborts it on close). */
  shutdown?: AbortSignal;
  /** JSON lines, one per request too (default: observability/logger.ts's, on standard error). */
  logger?: ApiLogger;
  /**
   * The metrics provider of a release at the operator's sources, for the dashboard's per-bucket
   * series (`GET /v1/releases/{id}/series`); without it the charts show the per-look numbers.
   */
  metricsFor?: (spec: ReleaseSpec) => MetricsProvider;
  /** Where the dashboard's built assets are (default: found next to the code; api/ui/assets.ts). */
  uiAssetsDir?: string;
  /** Opens a server span per request (tracing on, observability/tracing.ts); default none. */
  tracer?: Tracer;
}

function resolveDeps(deps: AppDeps): RouteDeps {
  const clock = deps.clock ?? Date.now;
  return {
    gateway: new TemporalGateway(deps.client, {
      timeoutMs: deps.temporalTimeoutMs ?? 10_000,
      clock,
      statusCacheMs: deps.statusCacheMs ?? 250,
      locateCacheMs: deps.locateCacheMs ?? 1000,
    }),
    taskQueue: deps.taskQueue ?? TASK_QUEUE,
    tokens: new ApiAuthenticator(deps.tokens, deps.oidc),
    capabilities: deps.capabilities ?? CLUSTER_CAPABILITIES,
    temporalUiUrl: (
      deps.temporalUiUrl ??
      process.env.TEMPORAL_UI_URL ??
      DEFAULT_TEMPORAL_UI_URL
    ).replace(/\/+$/, ''),
    metrics: deps.metrics ?? new ApiMetrics(),
    clock,
    streamPollMs: deps.streamPollMs ?? 500,
    repairWaitMs: deps.repairWaitMs ?? 30_000,
    maxBodyBytes: deps.maxBodyBytes ?? 64 * 1024,
    shutdown: deps.shutdown ?? new AbortController().signal,
    logger: deps.logger ?? createLogger('canary-api'),
    metricsFor: deps.metricsFor,
  };
}

const API_DESCRIPTION = [
  'Start, follow and steer canary releases; each release is a durable Temporal workflow.',
  'Authenticate with `Authorization: Bearer <token>`. Roles: deployer (start), approver',
  '(approve, abort, pause, resume, promote, repair), viewer (read). Errors are RFC 9457 problem',
  'documents.',
].join(' ');

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const d = resolveDeps(deps);
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use('*', requestTelemetry({ logger: d.logger, tracer: deps.tracer }));
  app.use('*', d.metrics.httpMiddleware());
  app.route('/', systemApp(d));
  app.route('/v1/releases', releasesApp(d));
  app.route('/v1/services', servicesApp(d));
  app.route('/v1/me', meApp(d));
  app.route('/docs', docsApp());
  app.route('/ui/auth', loginApp(deps.oidc));
  app.get('/ui/', uiListPage);
  app.route('/ui', uiApp({ temporalUiUrl: d.temporalUiUrl, assetsDir: deps.uiAssetsDir }));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description:
      "A static API token, or a JWT from an OIDC issuer the operator trusts (auth.oidc.issuers: e.g. GitHub Actions); its claims give roles and scopes by the operator's rules. See docs/api.md.",
  });
  for (const issuer of deps.oidc?.verifier.issuerConfigs ?? [])
    app.openAPIRegistry.registerComponent('securitySchemes', `oidc-${issuer.name}`, {
      type: 'openIdConnect',
      openIdConnectUrl: `${issuer.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
      description: `JWTs of ${issuer.name} (audience ${issuer.audiences.join(' or ')}), sent as bearerAuth.`,
    });
  if (deps.oidc?.login)
    app.openAPIRegistry.registerComponent('securitySchemes', 'dashboardSession', {
      type: 'apiKey',
      in: 'cookie',
      name: deps.oidc.login.cookies.sessionName,
      description:
        "The dashboard session set by GET /ui/auth/callback, accepted wherever bearerAuth is; writes with it need an Origin header equal to the API's public origin.",
    });
  let document: unknown;
  app.get('/openapi.json', (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: { title: 'canary-engine API', version: '1.0.0', description: API_DESCRIPTION },
      tags: [
        { name: 'releases', description: 'Canary releases' },
        { name: 'actions', description: 'People acting on a running release' },
        {
          name: 'services',
          description: 'A service as a whole: repairing it after a failed release',
        },
        { name: 'system', description: 'Health, readiness and metrics' },
        { name: 'dashboard', description: 'What the dashboard at /ui/ reads besides the status' },
        {
          name: 'sign-in',
          description: "The dashboard's sign-in with the operator's identity provider (OIDC)",
        },
      ],
    });
    return c.json(document);
  });

  app.notFound((c) =>
    problemResponse(
      c,
      new ProblemError(
        404,
        'not-found',
        `there is no route ${c.req.method} ${c.req.path}; see /docs`,
      ),
    ),
  );

  app.onError(async (error, c) => {
    const problem = toProblem(error) ?? (await d.gateway.problemFor(error));
    if (problem) {
      if (problem.status >= 500 || problem.status === 429)
        d.logger.error({ err: error, path: c.req.path }, problem.message);
      return problemResponse(c, problem);
    }
    d.logger.error({ err: error, method: c.req.method, path: c.req.path }, 'unexpected error');
    return problemResponse(
      c,
      new ProblemError(
        500,
        'internal',
        'an unexpected error occurred; the API logs have the details',
      ),
    );
  });

  return app;
}
