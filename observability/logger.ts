/**
 * The engine's structured logs: one JSON object per line (pino) from the API and the worker, with
 * the service that wrote it, an ISO time, a level name, and the `trace_id` and `span_id` of the
 * OpenTelemetry span active where the line was written, so a log line leads to its trace and back.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

/** Levels an operator may choose (CANARY_LOG_LEVEL), least to most severe. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type { Logger } from 'pino';

/**
 * The active span's ids, as OpenTelemetry's log data model names them; nothing when no span is
 * active (tracing off, or outside a request or activity). Read on every line: a span lookup in the
 * async context, no allocation when there is none.
 */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !isSpanContextValid(context)) return {};
  return { trace_id: context.traceId, span_id: context.spanId };
}

export interface LoggerOptions {
  /** Lowest level written (default info). */
  level?: LogLevel;
  /** Where lines go (default standard error, written synchronously so none is lost at exit). */
  destination?: DestinationStream;
}

/**
 * A logger for one process role (`canary-api`, `canary-worker`). Errors under `err` or `error`
 * keep their type, message and stack; fields of the call override the trace fields.
 */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: service,
      level: options.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      mixin: traceFields,
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}
