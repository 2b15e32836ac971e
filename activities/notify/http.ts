/**
 * One HTTP POST of a notification, shared by the sinks: a time limit, no redirects followed (a
 * redirect would send the payload, and a webhook's signature, to an address the operator did not
 * configure), and every failure turned into a NotificationDeliveryError that says whether retrying
 * may help. The answer's body is read and dropped: it never reaches a message.
 */
import { statusLine } from '../../core/foreign-text.js';
import { deliveryErrorOf, NotificationDeliveryError } from './errors.js';
import type { Delivered } from './types.js';

export interface PostOptions {
  sink: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  fetch: typeof fetch;
  /** The activity's cancellation. */
  signal?: AbortSignal | undefined;
}

/** The low-level cause of a failed fetch, by its code ("ECONNREFUSED"), when it has one. */
function networkCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' && /^[A-Z0-9_]{2,40}$/.test(cause.code)
    ? cause.code
    : undefined;
}

export async function postNotification(options: PostOptions): Promise<Delivered> {
  const { sink, timeoutMs } = options;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let response: Response;
  try {
    response = await options.fetch(options.url, {
      method: 'POST',
      headers: options.headers,
      body: options.body,
      redirect: 'manual',
      signal,
    });
    // the answer is not ours to show anyone; read it so the connection can be reused
    await response.arrayBuffer().catch(() => undefined);
  } catch (error) {
    if (timeout.aborted)
      throw new NotificationDeliveryError(sink, `no answer within ${timeoutMs} ms`, {
        kind: 'unavailable',
        nonRetryable: false,
        cause: error,
      });
    if (options.signal?.aborted) throw error;
    const code = networkCode(error);
    throw new NotificationDeliveryError(sink, `cannot connect${code ? ` (${code})` : ''}`, {
      kind: 'unavailable',
      nonRetryable: false,
      cause: error,
    });
  }
  if (response.status >= 200 && response.status < 300) return { status: response.status };
  throw deliveryErrorOf(sink, response.status, statusLine(response.status, response.statusText));
}
