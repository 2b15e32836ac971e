/**
 * A `fetch` for a metrics source with its own CA: Node's global fetch cannot be given a CA per
 * call (that needs undici's Agent, not a dependency of ours), so https requests to such a source go
 * through node:https with `ca`, and answer a standard Response. Only what PrometheusClient uses is
 * supported: a method, string or form bodies, headers, an abort signal; redirects are not followed.
 */
import { request } from 'node:https';

/** A fetch that trusts `ca` (PEM) for https URLs and is the global fetch for any other URL. */
export function fetchTrustingCa(ca: string): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.protocol !== 'https:') return fetch(input, init);
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    let body: string | undefined;
    if (init.body instanceof URLSearchParams) {
      body = init.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    } else if (typeof init.body === 'string') body = init.body;
    return new Promise<Response>((resolve, reject) => {
      const req = request(
        url,
        { method: init.method ?? 'GET', headers, ca, signal: init.signal ?? undefined },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve(
              new Response(Buffer.concat(chunks), {
                status: res.statusCode ?? 502,
                statusText: res.statusMessage ?? '',
              }),
            ),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }) as typeof fetch;
}
