/**
 * OpenTelemetry tracing for one process, when the operator configures an OTLP endpoint with the
 * standard variables (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT plus
 * `/v1/traces`). Unconfigured, nothing is registered: the OpenTelemetry API stays a no-op, no
 * interceptor is installed, nothing is exported.
 *
 * Configured, a Node tracer provider is registered globally (async-context propagation, W3C trace
 * context and baggage, or OTEL_PROPAGATORS) and spans go out in batches over OTLP/HTTP with JSON
 * bodies. The exporter reads OTEL_EXPORTER_OTLP_HEADERS itself (credentials stay in the
 * operator's environment); the provider reads OTEL_TRACES_SAMPLER and OTEL_BSP_* itself.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** The variables tracing reads (checked by worker/config.ts's schema before they get here). */
export interface TracingEnv {
  OTEL_SDK_DISABLED?: boolean | undefined;
  OTEL_TRACES_EXPORTER?: 'otlp' | 'none' | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
  OTEL_RESOURCE_ATTRIBUTES?: string | undefined;
}

/** Tracing as running in this process. */
export interface Tracing {
  readonly tracer: Tracer;
  readonly resource: Resource;
  /** Where finished spans go; the worker hands it to the workflows' span sink too. */
  readonly spanProcessor: SpanProcessor;
  /** Where spans are sent, for the start-up line (no credentials: those are headers). */
  readonly description: string;
  /** Sends what is buffered. */
  forceFlush(): Promise<void>;
  /** Sends what is buffered and stops; call once at shutdown. */
  shutdown(): Promise<void>;
}

/** The OTLP/HTTP traces URL the environment names; undefined when tracing is off. */
export function tracesUrl(env: TracingEnv): string | undefined {
  if (env.OTEL_SDK_DISABLED || env.OTEL_TRACES_EXPORTER === 'none') return undefined;
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT)
    return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}

/** A URL for a log line: user and password, if the operator wrote them into it, left out. */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

/** OTEL_RESOURCE_ATTRIBUTES: `key=value,…`, values percent-encoded (the specification's format). */
export function resourceAttributes(raw: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim();
    try {
      attributes[key] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      // a malformed escape: the attribute is left out rather than exported garbled
    }
  }
  return attributes;
}

export interface StartTracingOptions {
  /** service.name unless OTEL_SERVICE_NAME says otherwise (`canary-api`, `canary-worker`). */
  service: string;
  env: TracingEnv;
  /** Instead of the OTLP exporter (tests: an in-memory exporter); tracing is then on. */
  spanProcessor?: SpanProcessor;
}

/** Starts tracing as configured, or returns undefined (and registers nothing) when it is off. */
export function startTracing(options: StartTracingOptions): Tracing | undefined {
  const url = tracesUrl(options.env);
  if (!url && !options.spanProcessor) return undefined;
  const resource = Resource.default().merge(
    new Resource({
      ...resourceAttributes(options.env.OTEL_RESOURCE_ATTRIBUTES),
      'service.name': options.env.OTEL_SERVICE_NAME ?? options.service,
    }),
  );
  const spanProcessor =
    options.spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter({ url }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    tracer: trace.getTracer(options.service),
    resource,
    spanProcessor,
    description: url ? `OTLP/HTTP ${withoutCredentials(url)}` : 'a local span processor',
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
