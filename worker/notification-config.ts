/**
 * The `notificationSinks` section of the operator's config (worker/engine-config.ts): named Slack
 * incoming webhooks and signed generic webhooks. The Slack webhook URL and the webhook's HMAC key
 * are secrets, read from the worker's environment or a mounted file when a notification is sent;
 * a spec can only name a sink (core/notifications/config.ts). docs/notifications.md shows it.
 */
import { z } from 'zod';
import type { SinkConfig } from '../activities/notify/types.js';
import { sinkName } from '../core/notifications/config.js';
import { address, headerName, headerValue, secretRef } from './config-fields.js';

/** Headers the engine sets itself on a webhook; the operator's headers may not replace them. */
const RESERVED_HEADER = /^(content-type|content-length|host|user-agent|x-canary-.*)$/i;

const timeoutMs = z.number().int().min(100).max(60_000).optional();

const sinkSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('slack'),
    /** The incoming webhook's URL (https://hooks.slack.com/services/…): a secret. */
    webhookUrl: secretRef,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('webhook'),
    url: address,
    /** The HMAC-SHA256 key of X-Canary-Signature. */
    secret: secretRef,
    headers: z
      .record(headerName, headerValue)
      .superRefine((headers, ctx) => {
        for (const name of Object.keys(headers))
          if (RESERVED_HEADER.test(name))
            ctx.addIssue({ code: 'custom', path: [name], message: 'is set by the engine itself' });
      })
      .optional(),
    timeoutMs,
  }),
]);

export const notificationSinksSchema = z.record(sinkName, sinkSchema).default({});

// the config the worker validates is exactly what the sinks are built from
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const sameShape: Same<z.output<typeof sinkSchema>, SinkConfig> = true;
void sameShape;
