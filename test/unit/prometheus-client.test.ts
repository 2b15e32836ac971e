/**
 * Our reading of the Prometheus HTTP API protocol, against a local fake server that answers what
 * a real Prometheus, a query frontend or a proxy in front of it can answer: error envelopes,
 * warnings, NaN and infinite samples, HTML pages, slow answers, missing endpoints.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  MetricsConfigError,
  MetricsQueryError,
  MetricsUnavailableError,
} from '../../activities/metrics/errors.js';
import { parseSampleValue, PrometheusClient } from '../../activities/metrics/prometheus-client.js';
import { freePort } from '../../scripts/lib/proc.mjs';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
interface Answer {
  status?: number;
  contentType?: string;
  body: string | object;
  delayMs?: number;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let answer: (req: Seen) => Answer = () => ({ body: {} });

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(request);
      const reply = answer(request);
      const send = () => {
        if (res.destroyed) return;
        const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res
          .writeHead(reply.status ?? 200, {
            'Content-Type': reply.contentType ?? 'application/json',
          })
          .end(text);
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
});

const matrix = (values: [number, string][], warnings?: string[]) => ({
  status: 'success',
  data: { resultType: 'matrix', result: values.length > 0 ? [{ metric: {}, values }] : [] },
  ...(warnings ? { warnings } : {}),
});
const range = {
  query: 'sum(increase(up[1m]))',
  startMs: 1_700_000_040_000,
  endMs: 1_700_000_160_000,
  stepMs: 60_000,
};
/** Awaits a rejection and checks its class and exact message. */
async function expectFailure(
  promise: Promise<unknown>,
  type: new (...args: never[]) => Error,
  message: string,
): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toBe(message);
  return error as Error;
}
const client = (options: Partial<ConstructorParameters<typeof PrometheusClient>[0]> = {}) =>
  new PrometheusClient({ address: base, ...options });

describe('PrometheusClient.queryRange', () => {
  it('POSTs the query form-encoded with start, end and step in seconds, and reads the matrix', async () => {
    answer = () => ({
      body: matrix([
        [1_700_000_100, '12'],
        [1_700_000_160, '0'],
      ]),
    });
    const result = await client({ timeoutMs: 5000 }).queryRange(range);
    expect(result).toEqual({
      series: [
        {
          labels: {},
          points: [
            { timestampMs: 1_700_000_100_000, value: 12 },
            { timestampMs: 1_700_000_160_000, value: 0 },
          ],
        },
      ],
      warnings: [],
      infos: [],
    });
    const request = seen[0] as Seen;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/api/v1/query_range');
    expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      query: range.query,
      start: '1700000040',
      end: '1700000160',
      step: '60',
      timeout: '5',
    });
  });

  it('returns an empty series list when the query matched nothing', async () => {
    answer = () => ({ body: matrix([]) });
    expect((await client().queryRange(range)).series).toEqual([]);
  });

  it('surfaces warnings and infos that come with the data', async () => {
    answer = () => ({
      body: {
        ...matrix([[1_700_000_100, '1']], ['partial response: store eu-1 unreachable']),
        infos: ['PromQL info: metric might not be a counter'],
      },
    });
    const result = await client().queryRange(range);
    expect(result.warnings).toEqual(['partial response: store eu-1 unreachable']);
    expect(result.infos).toEqual(['PromQL info: metric might not be a counter']);
    expect(result.series[0]?.points).toHaveLength(1);
  });

  it('keeps NaN and ±Inf samples as NaN and infinities for the caller to treat as missing', async () => {
    answer = () => ({
      body: matrix([
        [1, 'NaN'],
        [2, '+Inf'],
        [3, '-Inf'],
        [4, '1e3'],
      ]),
    });
    const values = (await client().queryRange(range)).series[0]?.points.map((p) => p.value);
    expect(values).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1000]);
  });

  it('fails non-retryably on bad_data, with errorType and Prometheus’s message', async () => {
    answer = () => ({
      status: 400,
      body: {
        status: 'error',
        errorType: 'bad_data',
        error: '1:36: parse error: unclosed left parenthesis',
      },
    });
    const failure = client().queryRange(range, { description: "query 'errors' for canary" });
    const error = await expectFailure(
      failure,
      MetricsQueryError,
      "query 'errors' for canary failed: bad_data: 1:36: parse error: unclosed left parenthesis",
    );
    expect(error).toMatchObject({
      name: 'MetricsQueryError',
      nonRetryable: true,
      errorType: 'bad_data',
      status: 400,
    });
  });

  it('fails non-retryably on execution errors (422)', async () => {
    answer = () => ({
      status: 422,
      body: { status: 'error', errorType: 'execution', error: 'many-to-many matching not allowed' },
    });
    await expect(client().queryRange(range)).rejects.toMatchObject({
      name: 'MetricsQueryError',
      nonRetryable: true,
      errorType: 'execution',
    });
  });

  it.each([
    [503, 'timeout', 'query timed out in expression evaluation'],
    [499, 'canceled', 'query was canceled'],
    [500, 'internal', 'unexpected error'],
    [503, 'unavailable', 'TSDB not ready'],
  ])('retries a %i %s error', async (status, errorType, error) => {
    answer = () => ({ status, body: { status: 'error', errorType, error } });
    const failure = await expectFailure(
      client().queryRange(range),
      MetricsUnavailableError,
      `query failed: ${errorType}: ${error}`,
    );
    expect(failure).toMatchObject({ nonRetryable: false, status });
  });

  it('reports a proxy’s HTML error page as retryable, with its status line and never its body', async () => {
    answer = () => ({
      status: 502,
      contentType: 'text/html',
      body: '<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>',
    });
    await expectFailure(
      client().queryRange(range),
      MetricsUnavailableError,
      `query failed: HTTP 502 Bad Gateway from ${base} is not a Prometheus API answer`,
    );
  });

  it('reports a 200 HTML page (a login page) as a configuration error without echoing it', async () => {
    answer = () => ({
      contentType: 'text/html',
      body: `<!doctype html><title>Sign in</title>${'x'.repeat(500)}`,
    });
    const failure = client().queryRange(range);
    await expect(failure).rejects.toBeInstanceOf(MetricsConfigError);
    await expect(failure).rejects.toThrow(
      /HTTP 200 OK from .* is not a Prometheus API answer \(check the address and its base path\)$/,
    );
  });

  it('reports a 404 from a wrong base path as a configuration error', async () => {
    answer = () => ({ status: 404, contentType: 'text/plain', body: '404 page not found' });
    await expectFailure(
      client().queryRange(range),
      MetricsConfigError,
      `query failed: HTTP 404 Not Found from ${base} is not a Prometheus API answer (check the address and its base path)`,
    );
  });

  it('reports rejected credentials as a configuration error', async () => {
    answer = () => ({ status: 401, contentType: 'text/plain', body: 'Unauthorized' });
    const error = await expectFailure(
      client().queryRange(range),
      MetricsConfigError,
      `query failed: ${base} rejected our credentials: HTTP 401 Unauthorized`,
    );
    expect(error).toMatchObject({ status: 401, nonRetryable: true });
  });

  it('reports JSON that is not the API’s envelope as a configuration error', async () => {
    answer = () => ({ body: { hello: 'world' } });
    await expect(client().queryRange(range)).rejects.toBeInstanceOf(MetricsConfigError);
    answer = () => ({
      body: {
        status: 'success',
        data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, 2]] }] },
      },
    });
    await expect(client().queryRange(range)).rejects.toThrow(
      /data that is not a Prometheus query result/,
    );
  });

  it('rejects a sample value that is not a number', async () => {
    answer = () => ({ body: matrix([[1, 'twelve']]) });
    await expectFailure(
      client().queryRange(range),
      MetricsQueryError,
      'query failed: "twelve" is not a sample value',
    );
  });

  it('gives up after the timeout with a retryable error', async () => {
    answer = () => ({ body: matrix([]), delayMs: 2000 });
    const started = Date.now();
    const failure = client({ timeoutMs: 200 }).queryRange(range, {
      description: "query 'requests' for baseline",
    });
    await expectFailure(
      failure,
      MetricsUnavailableError,
      `query 'requests' for baseline failed: prometheus at ${base} did not answer within 0.2s`,
    );
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('passes a caller’s abort through as the caller’s reason, not as a metrics error', async () => {
    answer = () => ({ body: matrix([]), delayMs: 2000 });
    const controller = new AbortController();
    const failure = client().queryRange(range, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('activity cancelled')), 50);
    await expectFailure(failure, Error, 'activity cancelled');
  });

  it('reports a refused connection as retryable, with the cause', async () => {
    const port: number = await freePort();
    await expectFailure(
      new PrometheusClient({ address: `http://127.0.0.1:${port}` }).queryRange(range),
      MetricsUnavailableError,
      `query failed: prometheus at http://127.0.0.1:${port} is unreachable: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });
});

describe('PrometheusClient requests', () => {
  it('sends a bearer token and custom headers, under the base path', async () => {
    answer = () => ({ body: matrix([]) });
    await client({
      address: `${base}/prometheus/`,
      auth: { type: 'bearer', token: 't0ken' },
      headers: { 'X-Scope-OrgID': 'team-a' },
    }).queryRange(range);
    expect(seen[0]?.url).toBe('/prometheus/api/v1/query_range');
    expect(seen[0]?.headers.authorization).toBe('Bearer t0ken');
    expect(seen[0]?.headers['x-scope-orgid']).toBe('team-a');
  });

  it('sends basic auth', async () => {
    answer = () => ({ body: matrix([]) });
    await client({ auth: { type: 'basic', username: 'grafana', password: 'p:ss' } }).queryRange(
      range,
    );
    expect(seen[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('grafana:p:ss').toString('base64')}`,
    );
  });

  it('runs instant queries with GET and reads vectors and scalars', async () => {
    answer = () => ({
      body: {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [{ metric: { job: 'a' }, value: [1_700_000_000.5, '3'] }],
        },
      },
    });
    expect((await client().query('up', { timeMs: 1_700_000_000_500 })).series).toEqual([
      { labels: { job: 'a' }, points: [{ timestampMs: 1_700_000_000_500, value: 3 }] },
    ]);
    expect(seen[0]?.method).toBe('GET');
    expect(Object.fromEntries(new URL(seen[0]?.url ?? '', base).searchParams)).toEqual({
      query: 'up',
      time: '1700000000.5',
      timeout: '10',
    });
    answer = () => ({
      body: { status: 'success', data: { resultType: 'scalar', result: [1_700_000_000, '1'] } },
    });
    expect((await client().query('1')).series[0]?.points[0]?.value).toBe(1);
  });

  it('refuses a range query answered with anything but a matrix', async () => {
    answer = () => ({
      body: { status: 'success', data: { resultType: 'scalar', result: [1, '1'] } },
    });
    await expectFailure(
      client().queryRange(range),
      MetricsQueryError,
      'query failed: expected a matrix result, got scalar',
    );
  });
});

describe('text from the server in errors', () => {
  it("keeps an operator source's own error explanation only capped and on one printable line", async () => {
    answer = () => ({
      status: 400,
      body: {
        status: 'error',
        errorType: 'bad_data',
        error: `parse error\n\u001b[31mforged${'y'.repeat(400)}`,
      },
    });
    const error = await client()
      .queryRange(range)
      .then(
        () => new Error('expected a failure'),
        (e: unknown) => e as Error,
      );
    expect(error).toBeInstanceOf(MetricsQueryError);
    expect(error.message).toMatch(/^query failed: bad_data: parse error \[31mforgedy+…$/);
    expect(error.message.length).toBe('query failed: bad_data: '.length + 300 + 1);
  });

  it("never puts an ad-hoc server's error text or warnings into errors and results", async () => {
    answer = () => ({
      status: 400,
      body: { status: 'error', errorType: 'bad_data', error: 'SECRET-FROM-INTERNAL-SERVICE' },
    });
    const error = await client({ trusted: false })
      .queryRange(range)
      .then(
        () => new Error('expected a failure'),
        (e: unknown) => e as Error,
      );
    expect(error).toBeInstanceOf(MetricsQueryError);
    expect(error.message).toBe(
      `query failed: HTTP 400 Bad Request from ${base} (errorType bad_data)`,
    );
    answer = () => ({ body: matrix([[1_700_000_100, '1']], ['SECRET-IN-A-WARNING']) });
    expect((await client({ trusted: false }).queryRange(range)).warnings).toEqual([]);
  });
});

describe('PrometheusClient.ready', () => {
  it('is ready when /-/ready answers 200', async () => {
    answer = () => ({ contentType: 'text/plain', body: 'Prometheus Server is Ready.' });
    await client({ auth: { type: 'bearer', token: 't' } }).ready();
    expect(seen.map((s) => s.url)).toEqual(['/-/ready']);
    expect(seen[0]?.headers.authorization).toBe('Bearer t');
  });

  it('is not ready (retryable) while /-/ready answers 503', async () => {
    answer = () => ({ status: 503, contentType: 'text/plain', body: 'Service Unavailable' });
    await expectFailure(
      client().ready(),
      MetricsUnavailableError,
      `readiness check failed: prometheus at ${base} is not ready: HTTP 503 Service Unavailable`,
    );
  });

  it('falls back to the query 1 where /-/ready does not exist (query frontends)', async () => {
    answer = (req) =>
      req.url.startsWith('/-/ready')
        ? { status: 404, contentType: 'text/plain', body: 'not found' }
        : {
            body: {
              status: 'success',
              data: { resultType: 'scalar', result: [1_700_000_000, '1'] },
            },
          };
    await client().ready();
    expect(seen.map((s) => s.url.split('?')[0])).toEqual(['/-/ready', '/api/v1/query']);
  });

  it('fails when the fallback query fails', async () => {
    answer = (req) =>
      req.url.startsWith('/-/ready')
        ? { status: 404, body: 'not found', contentType: 'text/plain' }
        : { status: 404, body: 'not found', contentType: 'text/plain' };
    await expect(client().ready()).rejects.toBeInstanceOf(MetricsConfigError);
  });
});

describe('parseSampleValue', () => {
  it('reads Prometheus’s spellings of numbers', () => {
    expect(['0', '1.5', '-2', '1e-3', 'NaN', '+Inf', '-Inf'].map(parseSampleValue)).toEqual([
      0,
      1.5,
      -2,
      0.001,
      Number.NaN,
      Infinity,
      -Infinity,
    ]);
    expect(() => parseSampleValue('')).toThrow(TypeError);
  });
});
