/**
 * Which sink a name gets: the operator's configuration of it, one class per type, chosen by an
 * exhaustive switch. A name the worker does not have (a spec started around the API, or a config
 * that changed since) is a non-retryable error naming it, never a silent drop.
 */
import { NotificationDeliveryError } from './errors.js';
import { SlackSink } from './slack.js';
import type { NotificationSink, SinkConfig, SinkContext } from './types.js';
import { WebhookSink } from './webhook.js';

export function createNotificationSink(
  name: string,
  sinks: Readonly<Record<string, SinkConfig>>,
  context: SinkContext = {},
): NotificationSink {
  const config = Object.hasOwn(sinks, name) ? sinks[name] : undefined;
  if (!config)
    throw new NotificationDeliveryError(
      name,
      `"${name}" is not a notification sink of this worker (it has: ${Object.keys(sinks).join(', ') || 'none'})`,
      { kind: 'config', nonRetryable: true },
    );
  switch (config.type) {
    case 'slack':
      return new SlackSink(name, config, context);
    case 'webhook':
      return new WebhookSink(name, config, context);
    default: {
      const unknown: never = config;
      throw new NotificationDeliveryError(
        name,
        `has an unknown type ${JSON.stringify((unknown as { type?: unknown }).type)}`,
        { kind: 'config', nonRetryable: true },
      );
    }
  }
}
