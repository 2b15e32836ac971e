/**
 * A local HTTP listener standing in for Slack or a webhook receiver in tests: it records every
 * request (headers and raw body) and answers as the test says — a status, a delay, a redirect.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** How to answer one request: status (default 200), an extra delay, headers, a body. */
export interface Answer {
  status?: number;
  delayMs?: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface NotifyListener {
  url: string;
  received: ReceivedRequest[];
  /** Answers the next requests (in order) this way; afterwards `fallback`. */
  answers: Answer[];
  fallback: Answer;
  close(): Promise<void>;
}

export async function startNotifyListener(fallback: Answer = {}): Promise<NotifyListener> {
  const listener: Omit<NotifyListener, 'url' | 'close'> = { received: [], answers: [], fallback };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      listener.received.push({
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const answer = listener.answers.shift() ?? listener.fallback;
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(answer.status ?? 200, answer.headers ?? { 'content-type': 'text/plain' });
        res.end(answer.body ?? 'ok');
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(listener, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
