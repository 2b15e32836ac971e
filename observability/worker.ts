/**
 * What the release worker adds for logs and traces: activity log lines that name the release
 * (release id, service, step, look, weight, from the spec the activity gets) and end with one
 * "activity completed" line; and, when tracing is on, the Temporal SDK's OpenTelemetry interceptors
 * (a RunActivity span per activity, workflow spans from the bundle's interceptor module,
 * observability/workflow-interceptors.ts, exported through a sink: no command is added).
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context as ActivityContext } from '@temporalio/activity';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  ActivityOutboundCallsInterceptor,
  GetLogAttributesInput,
  Next,
  WorkerOptions,
} from '@temporalio/worker';
import { createLogger, traceFields, type Logger, type LogLevel } from './logger.js';
import { installTemporalRuntime } from './temporal-logger.js';
import { startTracing, type Tracing, type TracingEnv } from './tracing.js';

/**
 * The workflow interceptor module tracing bundles into the workflow code
 * (observability/workflow-interceptors.ts), with this module's extension: .ts under tsx, .js in dist/.
 */
export const WORKFLOW_INTERCEPTORS_PATH = fileURLToPath(
  new URL(`./workflow-interceptors${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

type Fields = Record<string, unknown>;

const record = (value: unknown): Fields | undefined =>
  typeof value === 'object' && value !== null ? (value as Fields) : undefined;

/**
 * What an activity's arguments say about its release: every release activity takes the spec first,
 * alone or inside an input with `step` and `look` (analysis, bake); a weight or an outcome second.
 */
export function releaseFields(args: readonly unknown[]): Fields {
  const first = record(args[0]);
  const spec = record(first?.spec) ?? first;
  const fields: Fields = {};
  if (typeof spec?.releaseId === 'string') fields.releaseId = spec.releaseId;
  if (typeof spec?.service === 'string') fields.service = spec.service;
  if (typeof first?.step === 'number') fields.step = first.step;
  if (typeof first?.look === 'number') fields.look = first.look;
  if (typeof args[1] === 'number') fields.weight = args[1];
  if (typeof args[1] === 'string') fields.outcome = args[1];
  return fields;
}

/** The part of a result worth a log line: an analysis's verdict, the weights written. */
export function resultFields(result: unknown): Fields {
  const value = record(result);
  const verdict = record(value?.decision)?.verdict;
  if (typeof verdict === 'string') return { verdict };
  if (typeof value?.canary === 'number' && typeof value.stable === 'number')
    return { weights: { canary: value.canary, stable: value.stable } };
  return {};
}

/**
 * Adds the release's fields (and the activity span's ids, kept for the SDK's own "Activity failed"
 * line, written after the span has ended) to every log line of the activity, and writes one line
 * when it completes.
 */
class ReleaseActivityLog
  implements ActivityInboundCallsInterceptor, ActivityOutboundCallsInterceptor
{
  private fields: Fields = {};

  constructor(private readonly ctx: ActivityContext) {}

  async execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    this.fields = { ...traceFields(), ...releaseFields(input.args) };
    const started = performance.now();
    const result = await next(input);
    const durationMs = Math.round(performance.now() - started);
    this.ctx.log.info('activity completed', { durationMs, ...resultFields(result) });
    return result;
  }

  getLogAttributes(
    input: GetLogAttributesInput,
    next: Next<ActivityOutboundCallsInterceptor, 'getLogAttributes'>,
  ): Record<string, unknown> {
    // the run id under the key workflow lines use; the task token is a long opaque credential
    const { workflowRunId, taskToken: _token, ...attributes } = input;
    return next({
      ...this.fields,
      ...attributes,
      ...(workflowRunId === undefined ? {} : { runId: workflowRunId }),
    });
  }
}

export const releaseActivityLog: ActivityInterceptorsFactory = (ctx) => {
  const log = new ReleaseActivityLog(ctx);
  return { inbound: log, outbound: log };
};

/** The worker options logs and traces add (merged by worker/index.ts with the metrics' ones). */
export interface WorkerTelemetry {
  /** Outermost first: the span, then the release's log fields inside it. */
  activity: ActivityInterceptorsFactory[];
  workflowModules: string[];
  sinks: NonNullable<WorkerOptions['sinks']>;
}

export function workerTelemetry(tracing: Tracing | undefined): WorkerTelemetry {
  if (!tracing) return { activity: [releaseActivityLog], workflowModules: [], sinks: {} };
  return {
    activity: [
      // the SDK's own tracer names (@temporalio/interceptor-*), from the provider tracing registered
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
      releaseActivityLog,
    ],
    workflowModules: [WORKFLOW_INTERCEPTORS_PATH],
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}

/**
 * The worker process's logs and traces, set up once before anything else talks to Temporal: the
 * JSON logger, the Temporal Runtime writing through it, and tracing when the environment
 * configures an endpoint.
 */
export function startWorkerObservability(env: TracingEnv & { CANARY_LOG_LEVEL: LogLevel }): {
  logger: Logger;
  tracing: Tracing | undefined;
} {
  const logger = createLogger('canary-worker', { level: env.CANARY_LOG_LEVEL });
  installTemporalRuntime(logger);
  return { logger, tracing: startTracing({ service: 'canary-worker', env }) };
}
