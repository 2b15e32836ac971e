/**
 * The API's request telemetry: one JSON line per request (method, path, route, status, duration,
 * the caller's name, the release id when the request concerns one) and, when tracing is on, a
 * server span that continues the caller's W3C `traceparent`, so the Temporal calls the request
 * makes (and through them the workflow and its activities) are one trace with it. Never the
 * Authorization header, a token or a query string.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  propagation,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';

/** The part of a logger the middleware writes to (pino's Logger fits). */
export interface RequestLogger {
  info(fields: object, message: string): void;
  warn?(fields: object, message: string): void;
  debug?(fields: object, message: string): void;
}

export interface RequestTelemetryOptions {
  logger: RequestLogger;
  /** Opens a server span per request; undefined: tracing off, log lines only. */
  tracer?: Tracer;
}

/** Probes and scrapes: logged at debug and never traced (every few seconds, all alike). */
const QUIET_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

const RELEASE_PATH_RE = /^\/v1\/releases\/([^/]+)/;

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => {
    const keys: string[] = [];
    headers.forEach((_, key) => keys.push(key));
    return keys;
  },
};

/**
 * The route a request matched, as registered (`/v1/releases/:id`), or `unmatched`: a label with
 * few values for metrics and span names, never the raw path.
 */
export function routeTemplate(c: Context): string {
  const matched = routePath(c, -1);
  return matched === '' || matched === '*' || matched.endsWith('/*') ? 'unmatched' : matched;
}

/** The release a request concerns: its path's, or the one a start created (its Location). */
export function requestReleaseId(c: Context): string | undefined {
  const match =
    RELEASE_PATH_RE.exec(c.req.path) ?? RELEASE_PATH_RE.exec(c.res.headers.get('location') ?? '');
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

function requestFields(c: Context, startedAt: number): Record<string, unknown> {
  const caller = (c.var as { caller?: { name?: unknown } }).caller?.name;
  const releaseId = requestReleaseId(c);
  return {
    method: c.req.method,
    path: c.req.path,
    route: routeTemplate(c),
    status: c.res.status,
    durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
    ...(typeof caller === 'string' ? { caller } : {}),
    ...(releaseId ? { releaseId } : {}),
  };
}

function endSpan(span: Span, c: Context, fields: Record<string, unknown>): void {
  const route = fields.route as string;
  if (route !== 'unmatched') {
    span.updateName(`${c.req.method} ${route}`);
    span.setAttribute('http.route', route);
  }
  span.setAttribute('http.response.status_code', c.res.status);
  if (typeof fields.caller === 'string') span.setAttribute('canary.caller', fields.caller);
  if (typeof fields.releaseId === 'string')
    span.setAttribute('canary.release_id', fields.releaseId);
  if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

export function requestTelemetry(options: RequestTelemetryOptions): MiddlewareHandler {
  const { logger, tracer } = options;
  const write = (c: Context, fields: Record<string, unknown>, quiet: boolean): void => {
    if (quiet) logger.debug?.(fields, 'request');
    else if (c.res.status >= 500) (logger.warn ?? logger.info).call(logger, fields, 'request');
    else logger.info(fields, 'request');
  };
  return async (c, next) => {
    const startedAt = performance.now();
    const quiet = QUIET_PATHS.has(c.req.path);
    if (!tracer || quiet) {
      await next();
      write(c, requestFields(c, startedAt), quiet);
      return;
    }
    const parent = propagation.extract(ROOT_CONTEXT, c.req.raw.headers, headerGetter);
    const attributes = { 'http.request.method': c.req.method, 'url.path': c.req.path };
    await tracer.startActiveSpan(
      c.req.method,
      { kind: SpanKind.SERVER, attributes },
      parent,
      async (span) => {
        try {
          await next();
        } finally {
          const fields = requestFields(c, startedAt);
          write(c, fields, false); // inside the span: the line carries its trace_id
          endSpan(span, c, fields);
        }
      },
    );
  };
}
