/**
 * How `canary start --wait` / `status --watch` follow a release's event stream when the network or
 * the API misbehaves: a silent (half-open) stream is reconnected, and a release that another API
 * instance cannot see yet is retried for a grace period. A local HTTP server plays the API.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/lib/api-client.js';
import { reportError } from '../../cli/lib/context.js';
import { followRelease, StreamFailure } from '../../cli/lib/events.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

/** Serves the n-th request to the events route with handlers[n] (the last one repeats). */
async function api(handlers: Array<(res: ServerResponse) => void>): Promise<ApiClient> {
  let n = 0;
  server = createServer((_req, res) => {
    const handle = handlers[Math.min(n, handlers.length - 1)]!;
    n += 1;
    handle(res);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return new ApiClient({
    apiUrl: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`,
    token: 'x'.repeat(20),
  });
}

const silent = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.flushHeaders();
};
const verdict = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end('event: verdict\nid: 1\ndata: {"verdict":"Promoted"}\n\n');
};
const notFound = (res: ServerResponse) => {
  res.writeHead(404, { 'content-type': 'application/problem+json' });
  res.end(
    JSON.stringify({ status: 404, title: 'No such release', detail: 'release r-1 not found' }),
  );
};

describe('following a release', () => {
  it('reconnects a stream on which nothing arrives, instead of waiting forever', async () => {
    const client = await api([silent, verdict]);
    const reasons: string[] = [];
    const result = await followRelease(client, 'r-1', {
      onEvent: () => {},
      onReconnect: (_n, reason) => reasons.push(reason),
      idleTimeoutMs: 300,
      backoffMs: () => 10,
    });
    expect(result).toEqual({ verdict: 'Promoted' });
    expect(reasons).toEqual(['no data on the event stream for 0 s']);
  });

  it('retries a 404 during the grace period after a start, and treats it as final without one', async () => {
    const graceful = await api([notFound, notFound, verdict]);
    await expect(
      followRelease(graceful, 'r-1', {
        onEvent: () => {},
        notFoundGraceMs: 5000,
        backoffMs: () => 10,
      }),
    ).resolves.toEqual({ verdict: 'Promoted' });
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    const strict = await api([notFound, verdict]);
    await expect(
      followRelease(strict, 'r-1', { onEvent: () => {}, backoffMs: () => 10 }),
    ).rejects.toThrow('release r-1 not found');
  });

  it('ends at once, without an HTTP status, when the API reports in the stream that it cannot read the release', async () => {
    let requests = 0;
    const failing = (res: ServerResponse) => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: failure\ndata: {"detail":"the release status cannot be read"}\n\n');
    };
    const client = await api([failing, verdict]);
    const error = await followRelease(client, 'r-1', {
      onEvent: () => {},
      backoffMs: () => 10,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamFailure);
    expect(requests).toBe(1);
    const lines: string[] = [];
    reportError(error, {
      out: () => {},
      err: (line) => {
        lines.push(line);
      },
    });
    expect(lines).toEqual([
      'canary: the API cannot read the status of release r-1: the release status cannot be read',
    ]);
  });
});
