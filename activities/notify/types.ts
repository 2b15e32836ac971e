/**
 * What a notification sink is: the operator's configuration of one (worker/notification-config.ts
 * validates it) and the one thing every sink does, deliver an announcement once. Retries, their
 * backoff and their limit are the workflow's (activity retries); a sink says only whether a failed
 * delivery is worth retrying (NotificationDeliveryError.nonRetryable).
 */
import type { Announcement } from '../../core/notifications/events.js';
import type { SecretReader, SecretRef } from '../secrets.js';

/** A Slack incoming webhook. */
export interface SlackSinkConfig {
  type: 'slack';
  /** The incoming webhook's URL: a secret (whoever has it may post to the channel). */
  webhookUrl: SecretRef;
  /** How long one attempt may take (default DEFAULT_SINK_TIMEOUT_MS). */
  timeoutMs?: number | undefined;
}

/** A generic webhook: JSON body signed with HMAC-SHA256 (activities/notify/webhook.ts). */
export interface WebhookSinkConfig {
  type: 'webhook';
  url: string;
  /** The HMAC key of X-Canary-Signature. */
  secret: SecretRef;
  /** Sent with every delivery (e.g. an Authorization the receiver wants); never X-Canary-*. */
  headers?: Record<string, string> | undefined;
  timeoutMs?: number | undefined;
}

export type SinkConfig = SlackSinkConfig | WebhookSinkConfig;

/** How long one delivery attempt may take unless the sink's config says otherwise. */
export const DEFAULT_SINK_TIMEOUT_MS = 10_000;

/** What a successful delivery answered. */
export interface Delivered {
  status: number;
}

/** One configured sink, ready to deliver. */
export interface NotificationSink {
  /** The sink's name in the operator's config ("slack-sre"). */
  readonly name: string;
  /**
   * Sends the announcement once. Throws NotificationDeliveryError: retryable for 5xx, 429, a time
   * limit or no connection; non-retryable for any other answer and for a secret that cannot be read.
   */
  deliver(announcement: Announcement, options?: { signal?: AbortSignal }): Promise<Delivered>;
}

/** What sinks are built with: the release page's base address and how to read secrets. */
export interface SinkContext {
  /** The API's public URL (CANARY_PUBLIC_URL); links to `<publicUrl>/ui/releases/<id>` when set. */
  publicUrl?: string | undefined;
  /** The HTTP client (tests may pass one); default the global fetch. */
  fetch?: typeof fetch;
  /** Where secrets are read from; default the worker's environment and files. */
  secrets?: SecretReader;
  /** The clock of X-Canary-Timestamp (tests pin it); default Date.now. */
  now?: () => number;
}

/** The address of a release's page in the dashboard, when the public URL is known. */
export function releasePageUrl(publicUrl: string | undefined, releaseId: string): string | null {
  if (!publicUrl) return null;
  return `${publicUrl.replace(/\/+$/, '')}/ui/releases/${encodeURIComponent(releaseId)}`;
}
