/**
 * The API on a real socket (startApiServer) and without Temporal: readiness, 503 problems when the
 * Temporal server cannot be reached, and a graceful close that ends event streams and lets
 * in-flight requests finish.
 */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiMetrics } from '../../api/metrics.js';
import { startApiServer } from '../../api/server.js';
import { freePort } from '../../scripts/lib/proc.mjs';
import {
  auth,
  jsonHeaders,
  memoryLogger,
  readSse,
  specBody,
  startApiStack,
  testTokenStore,
  TOKENS,
  type ApiStack,
  SANDBOX_CAPABILITIES,
} from '../harness/api.js';

describe('the API with an unreachable Temporal server', () => {
  let server: Awaited<ReturnType<typeof startApiServer>>;
  let connection: Connection;
  beforeAll(async () => {
    const deadPort = await freePort();
    connection = Connection.lazy({ address: `127.0.0.1:${deadPort}` });
    server = await startApiServer({
      port: 0,
      client: new Client({ connection }),
      tokens: testTokenStore(),
      capabilities: SANDBOX_CAPABILITIES,
      temporalTimeoutMs: 1000,
      metrics: new ApiMetrics({ processMetrics: false }),
      logger: memoryLogger(),
    });
  });
  afterAll(async () => {
    await server?.close();
    await connection?.close();
  });

  it('is alive but not ready', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toBe('application/problem+json');
    expect((await ready.json()).detail).toMatch(
      /^the Temporal server at 127\.0\.0\.1:\d+ did not answer within 2 s/,
    );
  });

  it('answers API calls with a 503 problem that says Temporal is unreachable, within seconds', async () => {
    const startedAt = Date.now();
    const calls = [
      fetch(`${server.url}/v1/releases`, { headers: auth(TOKENS.viewer) }),
      fetch(`${server.url}/v1/releases/some-release`, { headers: auth(TOKENS.viewer) }),
      fetch(`${server.url}/v1/releases`, {
        method: 'POST',
        headers: jsonHeaders(TOKENS.deployer),
        body: JSON.stringify(specBody()),
      }),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(503);
      const problem = await res.json();
      expect(problem.type).toBe('urn:canary-engine:problem:temporal-unavailable');
      expect(problem.detail).toMatch(
        /^the Temporal server at 127\.0\.0\.1:\d+ (is unreachable|did not answer within 1 s)/,
      );
    }
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });
});

describe('the API server', () => {
  let stack: ApiStack;
  beforeAll(async () => {
    stack = await startApiStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves releases over HTTP and is ready while Temporal answers', async () => {
    const server = await stack.serve();
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).status).toBe('ready');
    const started = await fetch(`${server.url}/v1/releases`, {
      method: 'POST',
      headers: jsonHeaders(TOKENS.deployer),
      body: JSON.stringify(specBody()),
    });
    expect(started.status).toBe(201);
    const { id } = await started.json();
    const events = await readSse(
      await fetch(`${server.url}/v1/releases/${id}/events`, { headers: auth(TOKENS.viewer) }),
    );
    expect(events.at(-1)?.event).toBe('verdict');
    await server.close();
  });

  it('ends open event streams on close, lets an in-flight request finish, then stops accepting', async () => {
    const server = await stack.serve();
    const started = await fetch(`${server.url}/v1/releases`, {
      method: 'POST',
      headers: jsonHeaders(TOKENS.deployer),
      body: JSON.stringify(specBody({ schedule: { steps: [{ weight: 10, observe: '1m' }] } })),
    });
    const { id } = await started.json();
    const streamRes = await fetch(`${server.url}/v1/releases/${id}/events`, {
      headers: auth(TOKENS.viewer),
    });
    const reading = readSse(streamRes);
    await new Promise((r) => setTimeout(r, 500));

    // an upload still in progress when close() is called: its connection is busy, not idle
    let finishUpload!: () => void;
    const uploadGate = new Promise<void>((resolve) => {
      finishUpload = resolve;
    });
    const text = JSON.stringify(specBody());
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode(text.slice(0, 20)));
        await uploadGate;
        controller.enqueue(new TextEncoder().encode(text.slice(20)));
        controller.close();
      },
    });
    const inFlight = fetch(`${server.url}/v1/releases`, {
      method: 'POST',
      headers: jsonHeaders(TOKENS.deployer),
      body,
      duplex: 'half',
    } as RequestInit);
    await new Promise((r) => setTimeout(r, 300));

    const closedAt = Date.now();
    const closing = server.close();
    const events = await reading;
    expect(events[0]?.event).toBe('status');
    expect(events.some((e) => e.event === 'verdict')).toBe(false);
    finishUpload();
    expect((await inFlight).status).toBe(201);
    await closing;
    expect(Date.now() - closedAt).toBeLessThan(5000);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();

    const aborted = await stack.app.request(`/v1/releases/${id}/abort`, {
      method: 'POST',
      headers: jsonHeaders(TOKENS.approver),
      body: JSON.stringify({ reason: 'test over' }),
    });
    expect(aborted.status).toBe(200);
  });
});
