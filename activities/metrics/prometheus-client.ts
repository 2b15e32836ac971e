/**
 * A small client for the Prometheus HTTP API (also served by Thanos and Mimir query frontends):
 * range and instant queries and readiness, over plain `fetch`. Every answer is checked against the
 * API's envelope ({status, data, errorType, error, warnings, infos}) and every failure is one of
 * the errors in ./errors.ts. Range queries are POSTed form-encoded, so long queries fit.
 *
 * Sample values arrive as strings; "NaN", "+Inf" and "-Inf" become NaN, Infinity and -Infinity,
 * and deciding what they mean is left to the caller (the provider treats them as missing).
 *
 * Errors end up in a release's outcome, so no answer body is ever put into one: a failure names
 * the status line, and Prometheus's own JSON `error` and warnings only when the server is an
 * operator's source (`trusted`), capped and on one line (core/foreign-text.ts).
 */
import { z } from 'zod';
import { foreignMessage, statusLine } from '../../core/foreign-text.js';
import { MetricsConfigError, MetricsQueryError, MetricsUnavailableError } from './errors.js';

export type PrometheusAuth =
  { type: 'bearer'; token: string } | { type: 'basic'; username: string; password: string };

export interface PrometheusClientOptions {
  /** Base URL, including any base path (e.g. "https://mimir.example/prometheus"). */
  address: string;
  auth?: PrometheusAuth;
  /** Extra headers on every request (e.g. a tenant header). */
  headers?: Readonly<Record<string, string>>;
  /** Time limit for one request, also sent to Prometheus as `timeout`. Default 10 s. */
  timeoutMs?: number;
  /**
   * The server is an operator's metrics source, so its own explanations (the envelope's `error`,
   * warnings) may appear in messages, sanitized. Default true; false for an ad-hoc address.
   */
  trusted?: boolean;
  fetch?: typeof fetch;
}

export interface SamplePoint {
  timestampMs: number;
  /** May be NaN, Infinity or -Infinity when Prometheus says so. */
  value: number;
}

export interface SeriesResult {
  labels: Record<string, string>;
  points: SamplePoint[];
}

export interface QueryResult {
  series: SeriesResult[];
  /** Warnings Prometheus returned with the data (the data is still there). */
  warnings: string[];
  /** Info-level annotations (newer Prometheus versions). */
  infos: string[];
}

/** An active scrape target's job and its scrape interval as Prometheus writes it ("15s", "1m"). */
export interface ScrapeTarget {
  job: string;
  scrapeInterval: string;
}

export interface RangeQuery {
  query: string;
  startMs: number;
  endMs: number;
  stepMs: number;
}

export interface CallOptions {
  /** What is being asked, for messages: "query 'errors' for canary". */
  description?: string;
  /** Abort from the caller (e.g. activity cancellation); rethrown as is, not as a metrics error. */
  signal?: AbortSignal;
}

const sample = z.tuple([z.number(), z.string()]);
const labels = z.record(z.string(), z.string());
const dataSchema = z.discriminatedUnion('resultType', [
  z.object({
    resultType: z.literal('matrix'),
    result: z.array(z.object({ metric: labels, values: z.array(sample).optional() })),
  }),
  z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: labels, value: sample.optional() })),
  }),
  z.object({ resultType: z.literal('scalar'), result: sample }),
  z.object({ resultType: z.literal('string'), result: sample }),
]);
const targetsSchema = z.object({
  activeTargets: z.array(
    z.object({
      labels: z.record(z.string(), z.string()),
      scrapePool: z.string().optional(),
      scrapeInterval: z.string().optional(),
    }),
  ),
});
const envelopeSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.unknown(),
    warnings: z.array(z.string()).optional(),
    infos: z.array(z.string()).optional(),
  }),
  z.object({
    status: z.literal('error'),
    errorType: z.string(),
    error: z.string(),
    warnings: z.array(z.string()).optional(),
  }),
]);

/** errorType values that mean the query is wrong: the same query would fail again. */
const QUERY_ERROR_TYPES = new Set(['bad_data', 'execution', 'not_found', 'not_acceptable']);
/** errorType values of a backend that cannot answer now. */
const TRANSIENT_ERROR_TYPES = new Set(['timeout', 'canceled', 'internal', 'unavailable']);

/** Parses a Prometheus sample value string; NaN and infinities are kept as such. */
export function parseSampleValue(text: string): number {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value))
    throw new TypeError(`"${text}" is not a sample value`);
  return value;
}

/** The address without credentials, for messages. */
function displayAddress(address: string): string {
  return address.replace(/\/\/[^/@]*@/, '//');
}

function networkCause(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code)
      ? `${code}: ${cause.message}`
      : cause.message;
  }
  return String(cause);
}

export class PrometheusClient {
  readonly address: string;
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly trusted: boolean;

  constructor(options: PrometheusClientOptions) {
    this.trusted = options.trusted ?? true;
    this.address = displayAddress(options.address);
    this.base = options.address.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchFn = options.fetch ?? fetch;
    this.headers = { Accept: 'application/json', ...options.headers };
    if (options.auth?.type === 'bearer')
      this.headers.Authorization = `Bearer ${options.auth.token}`;
    if (options.auth?.type === 'basic') {
      this.headers.Authorization = `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
    }
  }

  /** `/api/v1/query_range`, POSTed form-encoded; evaluates at startMs, startMs + stepMs, … endMs. */
  async queryRange(range: RangeQuery, options: CallOptions = {}): Promise<QueryResult> {
    const form = new URLSearchParams({
      query: range.query,
      start: String(range.startMs / 1000),
      end: String(range.endMs / 1000),
      step: String(range.stepMs / 1000),
      timeout: String(this.timeoutMs / 1000),
    });
    const response = await this.request(
      '/api/v1/query_range',
      { method: 'POST', body: form },
      options,
    );
    return this.result(response, options, 'matrix');
  }

  /** `/api/v1/query` at a moment, default now: GET, or POSTed form-encoded with `post`. */
  async query(
    expr: string,
    options: CallOptions & { timeMs?: number; post?: boolean } = {},
  ): Promise<QueryResult> {
    const params = new URLSearchParams({ query: expr, timeout: String(this.timeoutMs / 1000) });
    if (options.timeMs !== undefined) params.set('time', String(options.timeMs / 1000));
    // POSTed form-encoded when asked (a counter's long selector), like range queries
    const response = options.post
      ? await this.request('/api/v1/query', { method: 'POST', body: params }, options)
      : await this.request(`/api/v1/query?${params.toString()}`, { method: 'GET' }, options);
    return this.result(response, options);
  }

  /**
   * The scrape interval of each active target's job, from `/api/v1/targets?state=active`
   * (Prometheus; query frontends such as Thanos and Mimir do not serve it). Undefined when the
   * backend has no such API or its answer has no intervals; throws like a query otherwise.
   */
  async targetIntervals(options: CallOptions = {}): Promise<ScrapeTarget[] | undefined> {
    const response = await this.request('/api/v1/targets?state=active', { method: 'GET' }, options);
    if (response.status === 404 || response.status === 405) return undefined;
    const parsed = targetsSchema.safeParse(this.envelope(response, options).data);
    if (!parsed.success) return undefined;
    return parsed.data.activeTargets.flatMap((t) => {
      const job = t.labels.job ?? t.scrapePool;
      return job !== undefined && t.scrapeInterval !== undefined
        ? [{ job, scrapeInterval: t.scrapeInterval }]
        : [];
    });
  }

  /**
   * Resolves when the backend answers: `/-/ready` (Prometheus, Thanos), falling back to the
   * trivial query `1` where that path does not exist (query frontends, proxies).
   */
  async ready(signal?: AbortSignal): Promise<void> {
    const description = 'readiness check';
    const response = await this.request('/-/ready', { method: 'GET' }, { description, signal });
    if (response.status >= 200 && response.status < 300) return;
    if (response.status >= 500 || response.status === 429) {
      throw new MetricsUnavailableError(
        `${description} failed: prometheus at ${this.address} is not ready: ${statusLine(response.status, response.statusText)}`,
        { status: response.status },
      );
    }
    if (response.status === 401 || response.status === 403)
      throw this.authError(description, response);
    const result = await this.query('1', { description: `${description} (query 1)`, signal });
    const value = result.series[0]?.points[0]?.value;
    if (value !== 1)
      throw new MetricsConfigError(
        `${description} failed: ${this.address} answered query 1 with ${String(value)}, not 1`,
      );
  }

  private async request(
    path: string,
    init: RequestInit,
    options: CallOptions,
  ): Promise<{ status: number; statusText: string; body: string }> {
    const description = options.description ?? 'query';
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    try {
      const response = await this.fetchFn(`${this.base}${path}`, {
        ...init,
        headers: this.headers,
        signal,
        redirect: 'follow',
      });
      return {
        status: response.status,
        statusText: response.statusText,
        body: await response.text(),
      };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      if (timeout.aborted) {
        throw new MetricsUnavailableError(
          `${description} failed: prometheus at ${this.address} did not answer within ${this.timeoutMs / 1000}s`,
          { cause: error },
        );
      }
      throw new MetricsUnavailableError(
        `${description} failed: prometheus at ${this.address} is unreachable: ${networkCause(error)}`,
        { cause: error },
      );
    }
  }

  private authError(
    description: string,
    response: { status: number; statusText: string; body: string },
  ): MetricsConfigError {
    return new MetricsConfigError(
      `${description} failed: ${this.address} rejected our credentials: ${statusLine(response.status, response.statusText)}`,
      { status: response.status },
    );
  }

  /** Checks the envelope and turns it into series, or into the right error. */
  private result(
    response: { status: number; statusText: string; body: string },
    options: CallOptions,
    expect?: 'matrix',
  ): QueryResult {
    const description = options.description ?? 'query';
    const { status } = response;
    const answer = this.envelope(response, options);
    const data = dataSchema.safeParse(answer.data);
    if (!data.success) {
      throw new MetricsConfigError(
        `${description} failed: ${this.address} answered with data that is not a Prometheus query result`,
        { status },
      );
    }
    if (expect && data.data.resultType !== expect) {
      throw new MetricsQueryError(
        `${description} failed: expected a ${expect} result, got ${data.data.resultType}`,
        { status },
      );
    }
    try {
      return {
        series: toSeries(data.data),
        warnings: this.trusted ? (answer.warnings ?? []).map((w) => foreignMessage(w)) : [],
        infos: this.trusted ? (answer.infos ?? []).map((i) => foreignMessage(i)) : [],
      };
    } catch (error) {
      throw new MetricsQueryError(
        `${description} failed: ${foreignMessage((error as Error).message, 120)}`,
        {
          status,
          cause: error,
        },
      );
    }
  }

  /** A success envelope with a 2xx status, or the right error for anything else. */
  private envelope(
    response: { status: number; statusText: string; body: string },
    options: CallOptions,
  ): { data: unknown; warnings?: string[]; infos?: string[] } {
    const description = options.description ?? 'query';
    const { status, body } = response;
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const envelope = envelopeSchema.safeParse(json);
    if (!envelope.success) {
      const what = `${description} failed: ${statusLine(status, response.statusText)} from ${this.address} is not a Prometheus API answer${body.trim() === '' ? ' (empty body)' : ''}`;
      if (status === 401 || status === 403) throw this.authError(description, response);
      if (status >= 500 || status === 429) throw new MetricsUnavailableError(what, { status });
      if (status >= 400 && status !== 404) throw new MetricsQueryError(what, { status });
      throw new MetricsConfigError(`${what} (check the address and its base path)`, { status });
    }
    const answer = envelope.data;
    if (answer.status === 'error') {
      const message = this.trusted
        ? `${description} failed: ${foreignMessage(answer.errorType, 64)}: ${foreignMessage(answer.error)}`
        : `${description} failed: ${statusLine(status, response.statusText)} from ${this.address} (errorType ${foreignMessage(answer.errorType, 64)})`;
      if (QUERY_ERROR_TYPES.has(answer.errorType))
        throw new MetricsQueryError(message, { errorType: answer.errorType, status });
      if (status === 401 || status === 403) throw this.authError(description, response);
      // An errorType we do not know (a proxy's or a newer version's): a 4xx is about the request.
      const clientError = status >= 400 && status < 500 && status !== 429;
      if (clientError && !TRANSIENT_ERROR_TYPES.has(answer.errorType))
        throw new MetricsQueryError(message, { errorType: answer.errorType, status });
      throw new MetricsUnavailableError(message, { status });
    }
    if (status < 200 || status >= 300) {
      throw new MetricsUnavailableError(
        `${description} failed: ${statusLine(status, response.statusText)} from ${this.address} with a success envelope`,
        { status },
      );
    }
    return answer;
  }
}

function toPoint([seconds, value]: [number, string]): SamplePoint {
  return { timestampMs: Math.round(seconds * 1000), value: parseSampleValue(value) };
}

function toSeries(data: z.output<typeof dataSchema>): SeriesResult[] {
  switch (data.resultType) {
    case 'matrix':
      return data.result.map((s) => ({ labels: s.metric, points: (s.values ?? []).map(toPoint) }));
    case 'vector':
      return data.result.map((s) => ({
        labels: s.metric,
        points: s.value ? [toPoint(s.value)] : [],
      }));
    case 'scalar':
      return [{ labels: {}, points: [toPoint(data.result)] }];
    case 'string':
      throw new TypeError('the query returned a string, not numbers');
  }
}
