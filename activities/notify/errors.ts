/**
 * Why a notification was not delivered. The message is the engine's own words — an HTTP status, a
 * time limit, a connection error's code — never the sink's answer body, since it goes into the
 * release's timeline that every viewer reads (core/foreign-text.ts).
 */
import { EngineError, type ErrorKind } from '../../core/errors.js';

export class NotificationDeliveryError extends EngineError {
  constructor(
    sink: string,
    reason: string,
    options: { kind: ErrorKind; nonRetryable: boolean; cause?: unknown },
  ) {
    super(reason, { ...options, object: `notification sink "${sink}"` });
  }
}

/** What an HTTP answer means for a delivery: retry 5xx and 429; anything else is final. */
export function deliveryErrorOf(sink: string, status: number, statusLine: string) {
  if (status >= 500 || status === 429 || status === 408)
    return new NotificationDeliveryError(sink, statusLine, {
      kind: 'unavailable',
      nonRetryable: false,
    });
  if (status >= 300 && status < 400)
    return new NotificationDeliveryError(
      sink,
      `${statusLine}: a redirect, which the engine does not follow (configure the final address)`,
      { kind: 'config', nonRetryable: true },
    );
  const kind: ErrorKind =
    status === 401 || status === 403
      ? 'forbidden'
      : status === 404 || status === 410
        ? 'not-found'
        : 'invalid-input';
  return new NotificationDeliveryError(sink, `${statusLine} (not retried)`, {
    kind,
    nonRetryable: true,
  });
}
