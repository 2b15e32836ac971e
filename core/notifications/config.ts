/**
 * The release spec's `notifications`: which of the operator's notification sinks hear of the
 * release, and of which events. A spec names sinks only; where they are and their secrets are the
 * operator's (worker/notification-config.ts), and the API refuses a name the engine does not have
 * (core/capabilities.ts). Pure.
 */
import { z } from 'zod';
import { NOTIFICATION_EVENTS } from './events.js';

/** A sink's name in the operator's config and in specs: a DNS label, like metrics sources. */
export const SINK_NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const sinkName = z
  .string()
  .regex(SINK_NAME_RE, 'must be a notification sink name (a DNS label)');

export const notificationsSchema = z
  .array(
    z.strictObject({
      /** One of the operator's `notificationSinks`. */
      sink: sinkName,
      /** The events this sink hears of; omitted: core/notifications/events.ts DEFAULT_NOTIFICATION_EVENTS. */
      events: z
        .array(z.enum(NOTIFICATION_EVENTS))
        .min(1, 'needs at least one event (omit it for the default set)')
        .refine((events) => new Set(events).size === events.length, 'must not repeat an event')
        .optional(),
    }),
  )
  .max(10, 'at most 10 notifications')
  .refine(
    (entries) => new Set(entries.map((e) => e.sink)).size === entries.length,
    'must name each sink once (list all its events in one entry)',
  );

export type NotificationsSpec = z.output<typeof notificationsSchema>;
