/**
 * Error responses of the API through app.request(): every error is an RFC 9457 problem document
 * with a human-readable detail and never a stack trace. Temporal is never reached: its conditions
 * come from a fake client that throws gRPC service errors of the shape the SDK recognises.
 */
import { NamespaceNotFoundError, ServiceError, type Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { auth, jsonHeaders, TOKENS, unitApp } from '../harness/api.js';

const app = unitApp({ maxBodyBytes: 1024 });

async function problem(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(
    expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance']),
  );
  expect(body.status).toBe(res.status);
  expect(JSON.stringify(body)).not.toMatch(/\n\s+at /);
  return body;
}

describe('API problem responses', () => {
  it('answers an unknown route with a 404 problem naming the method and path', async () => {
    const res = await app.request('/v2/whatever', { method: 'DELETE' });
    expect(res.status).toBe(404);
    const body = await problem(res);
    expect(body.type).toBe('urn:canary-engine:problem:not-found');
    expect(body.detail).toBe('there is no route DELETE /v2/whatever; see /docs');
    expect(body.instance).toBe('/v2/whatever');
  });

  it('answers malformed JSON with a 400 that says what is wrong with it', async () => {
    const res = await app.request('/v1/releases', {
      method: 'POST',
      headers: jsonHeaders(TOKENS.deployer),
      body: '{"service": "checkout",',
    });
    expect(res.status).toBe(400);
    const body = await problem(res);
    expect(body.type).toBe('urn:canary-engine:problem:malformed-json');
    expect(body.detail).toMatch(/^the request body is not valid JSON: .+/);
  });

  it('answers malformed JSON on an action with a 400 as well', async () => {
    const res = await app.request('/v1/releases/rel-1/approve', {
      method: 'POST',
      headers: jsonHeaders(TOKENS.approver),
      body: '{comment: nope}',
    });
    expect(res.status).toBe(400);
    expect((await problem(res)).type).toBe('urn:canary-engine:problem:malformed-json');
  });

  it('answers a body over the limit declared by Content-Length with 413', async () => {
    const body = JSON.stringify({ service: 'x'.repeat(2000) });
    const res = await app.request('/v1/releases', {
      method: 'POST',
      headers: { ...jsonHeaders(TOKENS.deployer), 'content-length': String(body.length) },
      body,
    });
    expect(res.status).toBe(413);
    expect((await problem(res)).detail).toBe('the request body is larger than 1024 bytes');
  });

  it('answers a streamed body that grows over the limit with 413', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(600));
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await app.request('/v1/releases', {
      method: 'POST',
      headers: jsonHeaders(TOKENS.deployer),
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    await problem(res);
  });

  it('answers a body that is not JSON with 415', async () => {
    const res = await app.request('/v1/releases', {
      method: 'POST',
      headers: { ...auth(TOKENS.deployer), 'content-type': 'text/yaml' },
      body: 'service: x',
    });
    expect(res.status).toBe(415);
    expect((await problem(res)).detail).toBe('send the request body as application/json');
  });

  it('answers an unexpected error with a generic 500 that leaks nothing and logs the error', async () => {
    // the never-called client throws a plain Error as soon as the route reaches Temporal
    const res = await app.request('/v1/releases/rel-1', { headers: auth(TOKENS.viewer) });
    expect(res.status).toBe(500);
    const body = await problem(res);
    expect(body.detail).toBe('an unexpected error occurred; the API logs have the details');
    expect(JSON.stringify(body)).not.toContain('unit test reached Temporal');
  });
});

/** A gRPC ServiceError as @grpc/grpc-js throws it (what `isGrpcServiceError` recognises). */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

/**
 * A client on namespace "payments" at temporal.test:7233 whose list call throws `error`; the
 * server answers the one probe a deadline triggers when `serverUp`.
 */
function failingClient(error: unknown, serverUp = true): Client {
  return {
    options: { namespace: 'payments' },
    connection: { options: { address: 'temporal.test:7233' } },
    withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn(),
    workflowService: {
      listWorkflowExecutions: () => Promise.reject(error),
      getSystemInfo: () =>
        serverUp ? Promise.resolve({ serverVersion: '1.29.0' }) : Promise.reject(error),
    },
  } as unknown as Client;
}

async function listWith(error: unknown, serverUp = true, query = '') {
  const app = unitApp({ client: failingClient(error, serverUp), temporalTimeoutMs: 2000 });
  const res = await app.request(`/v1/releases${query}`, { headers: auth(TOKENS.viewer) });
  return { res, body: await problem(res) };
}

describe('Temporal conditions as problems', () => {
  it('answers a missing namespace with a 503 naming the namespace and the command that creates it', async () => {
    const { res, body } = await listWith(new NamespaceNotFoundError('payments'));
    expect(res.status).toBe(503);
    expect(body.type).toBe('urn:canary-engine:problem:temporal-namespace-missing');
    expect(body.namespace).toBe('payments');
    expect(body.detail).toBe(
      'the Temporal namespace "payments" does not exist on the server at temporal.test:7233; an operator creates it with `temporal operator namespace create --namespace payments` (then starts the worker, which registers the search attributes)',
    );
  });

  it('tells a missing namespace from a raw NOT_FOUND that names it', async () => {
    const { res, body } = await listWith(grpcError(5, 'Namespace payments is not found.'));
    expect(res.status).toBe(503);
    expect(body.type).toBe('urn:canary-engine:problem:temporal-namespace-missing');
  });

  it("answers PERMISSION_DENIED with a 503 that blames the API's own credentials, not the caller", async () => {
    const { res, body } = await listWith(grpcError(7, 'Request unauthorized.'));
    expect(res.status).toBe(503);
    expect(body.type).toBe('urn:canary-engine:problem:temporal-forbidden');
    expect(body.detail).toBe(
      'the Temporal server at temporal.test:7233 refused the API\'s own credentials for namespace "payments" (permission denied: Request unauthorized.); an operator must fix the API\'s Temporal TLS or API-key settings',
    );
  });

  it("answers UNAUTHENTICATED, wrapped in the client's ServiceError, like a refused credential", async () => {
    const cause = grpcError(16, 'no API key');
    const { res, body } = await listWith(new ServiceError('call failed', { cause }));
    expect(res.status).toBe(503);
    expect(body.type).toBe('urn:canary-engine:problem:temporal-forbidden');
    expect(body.detail).toContain('(unauthenticated: no API key)');
  });

  it('answers any other gRPC status from Temporal (FAILED_PRECONDITION) with a 502, never a 500', async () => {
    const { res, body } = await listWith(grpcError(9, 'workflow task is failing'));
    expect(res.status).toBe(502);
    expect(body.type).toBe('urn:canary-engine:problem:temporal-rejected');
    expect(body.detail).toContain('could not answer');
    expect(body.detail).toContain('workflow task is failing');
  });

  it('answers RESOURCE_EXHAUSTED with a 429 and Retry-After', async () => {
    const { res, body } = await listWith(grpcError(8, 'namespace rate limit exceeded'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(body.type).toBe('urn:canary-engine:problem:temporal-rate-limited');
    expect(body.detail).toBe(
      'the Temporal server at temporal.test:7233 is rate limiting namespace "payments" (namespace rate limit exceeded); retry in 5 s',
    );
  });

  it('answers an INVALID_ARGUMENT the caller did not cause with a 502, not a 400', async () => {
    const { res, body } = await listWith(grpcError(3, 'invalid query: unknown field CanaryPhase'));
    expect(res.status).toBe(502);
    expect(body.type).toBe('urn:canary-engine:problem:temporal-rejected');
    expect(body.detail).toContain('(invalid query: unknown field CanaryPhase)');
  });

  it("answers an INVALID_ARGUMENT about the caller's cursor with a 400 naming the cursor", async () => {
    const { res, body } = await listWith(grpcError(3, 'bad token'), true, '?cursor=abc');
    expect(res.status).toBe(400);
    expect(body.problems).toEqual([{ path: 'cursor', message: expect.any(String) }]);
  });

  it('answers NOT_FOUND with a 404 and ALREADY_EXISTS with a 409', async () => {
    const notFound = await listWith(grpcError(5, 'workflow not found for ID: x'));
    expect(notFound.res.status).toBe(404);
    expect(notFound.body.type).toBe('urn:canary-engine:problem:release-not-found');
    const exists = await listWith(grpcError(6, 'Workflow execution is already running'));
    expect(exists.res.status).toBe(409);
    expect(exists.body.type).toBe('urn:canary-engine:problem:temporal-conflict');
  });

  it('keeps UNAVAILABLE and DEADLINE_EXCEEDED the 503s they were', async () => {
    const down = await listWith(grpcError(14, 'connect ECONNREFUSED'));
    expect(down.res.status).toBe(503);
    expect(down.body.detail).toBe(
      'the Temporal server at temporal.test:7233 is unreachable; releases cannot be started, read or changed until it is back',
    );
    const slow = await listWith(grpcError(4, 'deadline exceeded'), false);
    expect(slow.body.detail).toBe(
      'the Temporal server at temporal.test:7233 did not answer within 2 s; releases cannot be started, read or changed until it is back',
    );
    const noWorker = await listWith(grpcError(4, 'deadline exceeded'), true);
    expect(noWorker.body.detail).toMatch(
      /is up but the release's workflow did not answer within 2 s/,
    );
  });

  it("echoes no more of Temporal's message than one printable, bounded line", async () => {
    const raw = `denied\u0007 ${'x'.repeat(300)}\n    at secret (/srv/temporal/auth.go:42)`;
    const { body } = await listWith(grpcError(7, raw));
    expect(body.detail).not.toContain('auth.go');
    expect(body.detail).not.toContain('\u0007');
    expect(body.detail).toContain(`denied? ${'x'.repeat(140)}`);
    expect(body.detail).toContain('...);');
  });
});
