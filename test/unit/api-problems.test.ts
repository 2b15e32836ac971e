/**
 * Error responses of the API through app.request(): every error is an RFC 9457 problem document
 * with a human-readable detail and never a stack trace. Temporal is never reached.
 */
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
