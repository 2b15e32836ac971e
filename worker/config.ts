/**
 * The engine's configuration from the environment, checked once at start-up. Every variable the
 * worker, the API and the local stack read is here, with its default; docker-compose.yml and the
 * README name the same variables (test/unit/compose.test.ts checks the compose file against it).
 */
import { z } from 'zod';
import { problemLines, problemsFromZod } from '../core/problems.js';
import { FALLBACK_PROMETHEUS_ADDRESS } from '../activities/metrics/prometheus.js';
import { TASK_QUEUE } from '../workflows/messages.js';
import { LOG_LEVELS } from '../observability/logger.js';

const port = z.coerce.number().int().min(1).max(65535);

/** An OTLP/HTTP endpoint: a URL with its scheme (`collector:4318` alone is a common slip). */
const otlpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//i.test(value), {
    message: 'must be an http:// or https:// URL (OTLP over HTTP, e.g. http://collector:4318)',
  });

/** Traces go out over HTTP (JSON bodies, which every OTLP/HTTP receiver takes); not gRPC. */
const otlpProtocol = z
  .enum(['http/json', 'http/protobuf'], {
    message:
      'must be http/json or http/protobuf: the engine sends OTLP over HTTP (port 4318), not gRPC',
  })
  .optional();

/**
 * The sandbox router's control API when CANARY_SANDBOX_URL is unset. Kept here, not in sandbox/, so
 * that reading the configuration never loads sandbox code: the production image ships none.
 */
export const FALLBACK_SANDBOX_URL = 'http://127.0.0.1:8089';

export const engineEnvSchema = z.object({
  /** Temporal frontend; when set, the local stack uses it and starts no dev server. */
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Base URL of the Temporal UI, for links in API answers. */
  TEMPORAL_UI_URL: z.string().url().default('http://localhost:8233'),
  CANARY_TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
  /**
   * Secured Temporal (worker/temporal-connection.ts turns these into connection options): TLS
   * on/off, implied by any file below or an API key; PEM files for a private CA and a client
   * certificate (mTLS, both or neither); the name in the server's certificate; Temporal Cloud's key.
   */
  CANARY_TEMPORAL_TLS: z
    .enum(['on', 'off', 'true', 'false', '1', '0'], { message: 'must be on or off' })
    .transform((value) => value === 'on' || value === 'true' || value === '1')
    .optional(),
  CANARY_TEMPORAL_TLS_CA: z.string().min(1).optional(),
  CANARY_TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  CANARY_TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  CANARY_TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  CANARY_TEMPORAL_API_KEY: z.string().min(1).optional(),
  CANARY_TEMPORAL_API_KEY_FILE: z.string().min(1).optional(),
  /** Port of the HTTP API. */
  PORT: port.default(8080),
  /** Address the API binds to. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Kubernetes: a kubeconfig file and context (in-cluster service account when running in a pod). */
  KUBECONFIG: z.string().min(1).optional(),
  CANARY_KUBE_CONTEXT: z.string().min(1).optional(),
  /** Where the local stack keeps Temporal's SQLite file, Prometheus data and API tokens. */
  CANARY_DATA_DIR: z.string().min(1).optional(),
  /** API tokens: `name=token:role+role,…`, or a file of such lines. */
  CANARY_API_TOKENS: z.string().min(1).optional(),
  CANARY_API_TOKENS_FILE: z.string().min(1).optional(),
  /** Namespaces the worker may release in: comma list, `*` globs (unset: all; activities/preflight.ts). */
  CANARY_ALLOWED_NAMESPACES: z.string().min(1).optional(),
  /** Prometheus for releases whose spec names no `analysis.metrics.address` (like Flagger's -metrics-server). */
  CANARY_PROMETHEUS_URL: z.string().url().default(FALLBACK_PROMETHEUS_ADDRESS),
  /** The sandbox router's control API for sandbox releases whose spec names no `router.url`. */
  CANARY_SANDBOX_URL: z.string().url().default(FALLBACK_SANDBOX_URL),
  /** The worker's /healthz, /readyz and /metrics (worker/health.ts); port 0 disables them. */
  CANARY_WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  CANARY_WORKER_HEALTH_HOST: z.string().min(1).default('127.0.0.1'),
  CANARY_ENGINE_CONFIG: z.string().min(1).optional(), // operator config: worker/engine-config.ts
  /** The API's address as people reach it; notifications link to `<it>/ui/releases/<id>`. */
  CANARY_PUBLIC_URL: z.string().url().optional(),
  /** Lowest level of the JSON log lines (observability/logger.ts). */
  CANARY_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /**
   * Traces over OTLP/HTTP (observability/tracing.ts), by the OpenTelemetry SDK's standard
   * variables: an endpoint turns them on; OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER and
   * OTEL_BSP_* are read by the SDK itself.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol,
  OTEL_TRACES_EXPORTER: z
    .enum(['otlp', 'none'], { message: 'must be otlp or none (the engine exports only OTLP)' })
    .optional(),
  OTEL_SDK_DISABLED: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .transform((value) => value === 'true')
    .optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_RESOURCE_ATTRIBUTES: z.string().min(1).optional(),
  /** Read by the OpenTelemetry SDK itself; listed so deployments may set them. */
  OTEL_EXPORTER_OTLP_HEADERS: z.string().min(1).optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: z.string().min(1).optional(),
  OTEL_TRACES_SAMPLER: z.string().min(1).optional(),
  OTEL_TRACES_SAMPLER_ARG: z.string().min(1).optional(),
  /** Local stack: "sandbox" (default when no cluster is configured) or "cluster". */
  CANARY_MODE: z.enum(['sandbox', 'cluster']).optional(),
  /** Local stack ports. */
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  PROMETHEUS_PORT: port.default(9090),
  SANDBOX_ROUTER_PORT: port.default(8089),
  /** Port of demo v1 (v2–v4 take the next three); 0 gives each a free port. */
  SANDBOX_DEMO_PORT: z.coerce.number().int().min(0).max(65535).default(8091),
  /** Requests per second the sandbox's traffic generator sends. */
  SANDBOX_RPS: z.coerce.number().positive().max(500).optional(),
});

export type EngineEnv = z.output<typeof engineEnvSchema>;

/** Parses the environment; throws one message listing every bad variable. */
export function loadEngineEnv(env: NodeJS.ProcessEnv = process.env): EngineEnv {
  const parsed = engineEnvSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')),
  );
  if (parsed.success) return parsed.data;
  const lines = problemLines(problemsFromZod(parsed.error)).map((line) => `  ${line}`);
  throw new Error(`invalid environment:\n${lines.join('\n')}`);
}
