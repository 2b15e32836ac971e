/**
 * A generic webhook: the announcement as a JSON body, signed so the receiver can tell it came from
 * this engine and is fresh. `X-Canary-Timestamp` is the Unix time of the attempt (seconds) and
 * `X-Canary-Signature` is `sha256=` and the hex HMAC-SHA256, keyed with the operator's secret, of
 * `<timestamp>.<body>`; a receiver recomputes it over the raw body and rejects old timestamps
 * (docs/notifications.md has a verifier). `X-Canary-Delivery` is the same for every retry.
 */
import { createHmac } from 'node:crypto';
import type { Announcement } from '../../core/notifications/events.js';
import { defaultSecretReader, readSecret, type SecretReader } from '../secrets.js';
import { NotificationDeliveryError } from './errors.js';
import { postNotification } from './http.js';
import {
  DEFAULT_SINK_TIMEOUT_MS,
  releasePageUrl,
  type Delivered,
  type NotificationSink,
  type SinkContext,
  type WebhookSinkConfig,
} from './types.js';

/** The JSON body of a webhook delivery (docs/notifications.md documents every field). */
export function webhookBody(a: Announcement, publicUrl?: string): Record<string, unknown> {
  return {
    id: a.id,
    event: a.event,
    timestamp: a.at,
    releaseId: a.releaseId,
    service: a.service,
    namespace: a.namespace,
    stableVersion: a.stableVersion,
    canaryVersion: a.canaryVersion,
    phase: a.phase,
    step: a.step,
    totalSteps: a.totalSteps,
    weights: a.weights,
    message: a.message,
    decision: a.decision,
    outcome: a.outcome,
    url: releasePageUrl(publicUrl, a.releaseId),
  };
}

/** `sha256=<hex>`: the HMAC-SHA256 of `<timestamp>.<body>` under `key`. */
export function webhookSignature(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class WebhookSink implements NotificationSink {
  private readonly secrets: SecretReader;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    private readonly config: WebhookSinkConfig,
    private readonly context: SinkContext = {},
  ) {
    this.secrets = context.secrets ?? defaultSecretReader();
    this.fetch = context.fetch ?? fetch;
    this.now = context.now ?? Date.now;
  }

  async deliver(a: Announcement, options: { signal?: AbortSignal } = {}): Promise<Delivered> {
    const key = readSecret(
      this.config.secret,
      `notification sink "${this.name}": secret`,
      this.secrets,
      (message, cause) =>
        new NotificationDeliveryError(this.name, message, {
          kind: 'config',
          nonRetryable: true,
          ...cause,
        }),
    );
    const body = JSON.stringify(webhookBody(a, this.context.publicUrl));
    const timestamp = String(Math.floor(this.now() / 1000));
    return postNotification({
      sink: this.name,
      url: this.config.url,
      body,
      headers: {
        ...this.config.headers,
        'content-type': 'application/json',
        'user-agent': 'canary-engine',
        'x-canary-event': a.event,
        'x-canary-delivery': a.id,
        'x-canary-timestamp': timestamp,
        'x-canary-signature': webhookSignature(key, timestamp, body),
      },
      timeoutMs: this.config.timeoutMs ?? DEFAULT_SINK_TIMEOUT_MS,
      fetch: this.fetch,
      signal: options.signal,
    });
  }
}
