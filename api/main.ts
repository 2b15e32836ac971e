/**
 * Standalone API process (the Docker image's default command): serves the HTTP API on HOST:PORT
 * against TEMPORAL_ADDRESS (secured as worker/temporal-connection.ts configures) until
 * SIGTERM/SIGINT, then drains and exits.
 */
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { createLogger } from '../observability/logger.js';
import { startTracing } from '../observability/tracing.js';
import { loadEngineEnv, type EngineEnv } from '../worker/config.js';
import {
  engineCapabilities,
  loadEngineConfig,
  metricsSourcesOf,
  type EngineConfig,
} from '../worker/engine-config.js';
import { metricsProviders } from '../activities/metrics/factory.js';
import {
  describeTemporalConnection,
  temporalConnectionOptions,
  type TemporalConnectionOptions,
} from '../worker/temporal-connection.js';
import { loadTokenStore } from './auth.js';
import { createOidcAuth, type OidcAuth } from './oidc/setup.js';
import { startApiServer } from './server.js';

let env: EngineEnv;
let temporal: TemporalConnectionOptions;
let config: EngineConfig;
let oidc: OidcAuth | undefined;
try {
  env = loadEngineEnv();
  temporal = temporalConnectionOptions(env);
  config = loadEngineConfig(env);
  oidc = config.auth.oidc ? createOidcAuth(config.auth.oidc) : undefined;
} catch (error) {
  console.error(`[api] ${(error as Error).message}`);
  process.exit(2);
}
const tokens = await loadTokenStore({
  env: process.env,
  ...(env.CANARY_DATA_DIR ? { dataDir: env.CANARY_DATA_DIR } : {}),
  allowNone: oidc !== undefined,
});
const logger = createLogger('canary-api', { level: env.CANARY_LOG_LEVEL });
const tracing = startTracing({ service: 'canary-api', env });
// lazy: the API starts (and /readyz answers 503) even while Temporal is still coming up
const connection = Connection.lazy(temporal);
const client = new Client({
  connection,
  namespace: env.TEMPORAL_NAMESPACE,
  // starts, signals, updates and queries carry the request's trace context to the workflow
  ...(tracing
    ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } }
    : {}),
});
const server = await startApiServer({
  port: env.PORT,
  host: env.HOST,
  client,
  tokens: tokens.store,
  ...(oidc ? { oidc } : {}),
  capabilities: engineCapabilities(config, { sandbox: env.CANARY_MODE === 'sandbox' }),
  taskQueue: env.CANARY_TASK_QUEUE,
  temporalUiUrl: env.TEMPORAL_UI_URL,
  // the dashboard's series come from the release's own metrics source, as the worker reads it
  metricsFor: metricsProviders(metricsSourcesOf(loadEngineConfig(env), env.CANARY_PROMETHEUS_URL)),
  logger,
  ...(tracing ? { tracer: tracing.tracer } : {}),
});
if (tracing) console.error(`[api] traces to ${tracing.description}`);
console.error(
  `[api] listening on ${server.url}, Temporal at ${describeTemporalConnection(temporal)}; ${tokens.message}${oidc ? `; OIDC issuers ${oidc.verifier.issuerConfigs.map((i) => i.name).join(', ')}${oidc.login ? `, dashboard sign-in with ${oidc.login.issuer.name}` : ''}` : ''}`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`[api] ${signal}: draining`);
    void server.close().then(async () => {
      await connection.close();
      await tracing?.shutdown();
      process.exit(0);
    });
  });
}
