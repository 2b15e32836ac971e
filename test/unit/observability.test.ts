import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import { LogTimestamp } from '@temporalio/worker';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../observability/logger.js';
import { PinoTemporalLogger } from '../../observability/temporal-logger.js';
import { resourceAttributes, startTracing, tracesUrl } from '../../observability/tracing.js';
import { releaseFields, resultFields } from '../../observability/worker.js';
import { loadEngineEnv } from '../../worker/config.js';
import { jsonHeaders, TOKENS, unitApp } from '../harness/api.js';

type Line = Record<string, unknown>;

function jsonLines(level: 'info' | 'debug' | 'warn' = 'info') {
  const lines: Line[] = [];
  const logger = createLogger('test', {
    level,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Line) },
  });
  return { logger, lines };
}

const exporter = new InMemorySpanExporter();
const tracing = startTracing({
  service: 'canary-api',
  env: {},
  spanProcessor: new SimpleSpanProcessor(exporter),
})!;
afterAll(() => tracing.shutdown());
beforeEach(() => exporter.reset());

describe('where traces go', () => {
  it('is nowhere unless an OTLP endpoint is configured', () => {
    expect(tracesUrl({})).toBeUndefined();
    expect(startTracing({ service: 'x', env: {} })).toBeUndefined();
  });

  it('takes the traces endpoint as it is, and the base endpoint with /v1/traces', () => {
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(
      tracesUrl({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
      }),
    ).toBe('https://traces.example/otlp');
  });

  it('is nowhere when the SDK is disabled or the traces exporter is none', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracesUrl({ ...endpoint, OTEL_SDK_DISABLED: true })).toBeUndefined();
    expect(tracesUrl({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
  });

  it('reads resource attributes in the specification format, percent-decoded', () => {
    expect(resourceAttributes('deployment.environment=prod,team=a%20b, bad ,=x')).toEqual({
      'deployment.environment': 'prod',
      team: 'a b',
    });
  });

  it('refuses a gRPC protocol, an unknown exporter and a level that does not exist, naming each variable', () => {
    let message = '';
    try {
      loadEngineEnv({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_EXPORTER: 'zipkin',
        CANARY_LOG_LEVEL: 'verbose',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('OTEL_EXPORTER_OTLP_PROTOCOL: must be http/json or http/protobuf');
    expect(message).toContain('OTEL_TRACES_EXPORTER: must be otlp or none');
    expect(message).toMatch(/CANARY_LOG_LEVEL: .*trace.*error/);
    expect(message).toContain('OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:// or https:// URL');
  });
});

describe('log lines', () => {
  it('carry the active span’s trace and span ids, and none outside a span', () => {
    const { logger, lines } = jsonLines();
    logger.info('outside');
    tracing.tracer.startActiveSpan('work', (span) => {
      logger.info({ releaseId: 'r-1' }, 'inside');
      span.end();
    });
    const [span] = exporter.getFinishedSpans();
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).toMatchObject({
      level: 'info',
      name: 'test',
      msg: 'inside',
      releaseId: 'r-1',
      trace_id: span!.spanContext().traceId,
      span_id: span!.spanContext().spanId,
    });
    expect(typeof lines[1]!.time).toBe('string');
  });

  it('keep an error’s type, message and stack under err and error', () => {
    const { logger, lines } = jsonLines();
    logger.warn({ error: new TypeError('boom') }, 'failed');
    expect(lines[0]!.error).toMatchObject({ type: 'TypeError', message: 'boom' });
    expect(String((lines[0]!.error as Line).stack)).toContain('TypeError: boom');
  });
});

describe("the Temporal SDK's logs through pino", () => {
  it('passes activity and workflow lines at the logger’s level and the SDK’s own only from warn', () => {
    const { logger, lines } = jsonLines('info');
    const temporal = new PinoTemporalLogger(logger);
    temporal.info('activity completed', { sdkComponent: 'activity', activityType: 'x' });
    temporal.info('Worker state changed', { sdkComponent: 'worker' });
    temporal.warn('Activity failed', { sdkComponent: 'worker' });
    temporal.debug('Activity started', { sdkComponent: 'activity' });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'activity completed'],
      ['warn', 'Activity failed'],
    ]);
  });

  it('passes everything when the operator asks for debug, and drops Core’s timestamp symbol', () => {
    const { logger, lines } = jsonLines('debug');
    const temporal = new PinoTemporalLogger(logger);
    temporal.log('INFO', 'Worker state changed', {
      sdkComponent: 'worker',
      [LogTimestamp]: 1n,
    } as never);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', sdkComponent: 'worker' });
  });
});

describe('what an activity’s log lines say about its release', () => {
  const spec = { releaseId: 'r-7', service: 'checkout', namespace: 'shop' };

  it('reads the release, step and look from the input an analysis gets', () => {
    expect(releaseFields([{ spec, step: 2, look: 3, plannedLooks: 4 }])).toEqual({
      releaseId: 'r-7',
      service: 'checkout',
      step: 2,
      look: 3,
    });
  });

  it('reads the weight of a weight change and the outcome of a finish', () => {
    expect(releaseFields([spec, 25])).toEqual({
      releaseId: 'r-7',
      service: 'checkout',
      weight: 25,
    });
    expect(releaseFields([spec, 'rolledBack'])).toMatchObject({ outcome: 'rolledBack' });
  });

  it('sums up a verdict or the weights written, and nothing else', () => {
    expect(resultFields({ decision: { verdict: 'fail' }, bucketsUsed: 3 })).toEqual({
      verdict: 'fail',
    });
    expect(resultFields({ canary: 10, stable: 90 })).toEqual({
      weights: { canary: 10, stable: 90 },
    });
    expect(resultFields(undefined)).toEqual({});
  });
});

describe('the API’s request telemetry', () => {
  it('continues the caller’s traceparent in a server span and logs the request inside it, with the caller and never the token', async () => {
    const { logger, lines } = jsonLines();
    const app = unitApp({ logger, tracer: tracing.tracer });
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const response = await app.request('/v1/releases/r-9/approve', {
      method: 'POST',
      headers: {
        ...jsonHeaders(TOKENS.approver),
        traceparent: `00-${traceId}-b7ad6b7169203331-01`,
      },
      body: '{not json',
    });
    expect(response.status).toBe(400);
    const [span] = exporter.getFinishedSpans();
    expect(span).toMatchObject({
      name: 'POST /v1/releases/:id/approve',
      kind: SpanKind.SERVER,
      parentSpanId: 'b7ad6b7169203331',
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/v1/releases/:id/approve',
        'http.response.status_code': 400,
        'canary.caller': 'alice',
        'canary.release_id': 'r-9',
      },
    });
    expect(span!.spanContext().traceId).toBe(traceId);
    const line = lines.find((l) => l.msg === 'request');
    expect(line).toMatchObject({
      method: 'POST',
      path: '/v1/releases/r-9/approve',
      route: '/v1/releases/:id/approve',
      status: 400,
      caller: 'alice',
      releaseId: 'r-9',
      trace_id: traceId,
      span_id: span!.spanContext().spanId,
    });
    expect(typeof line!.durationMs).toBe('number');
    expect(JSON.stringify(lines)).not.toContain(TOKENS.approver);
  });

  it('neither traces nor logs probes at info, and logs a request without credentials with no caller', async () => {
    const { logger, lines } = jsonLines();
    const app = unitApp({ logger, tracer: tracing.tracer });
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/v1/releases')).status).toBe(401);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['GET /v1/releases']);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ path: '/v1/releases', status: 401 });
    expect(requests[0]).not.toHaveProperty('caller');
  });

  it('logs requests without spans when tracing is off', async () => {
    const { logger, lines } = jsonLines();
    const app = unitApp({ logger });
    await app.request('/v1/releases');
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(lines.find((l) => l.msg === 'request')).toMatchObject({ status: 401 });
    expect(lines.find((l) => l.msg === 'request')).not.toHaveProperty('trace_id');
  });
});
