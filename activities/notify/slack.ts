/**
 * A Slack incoming webhook: one readable message per announcement — what happened to which
 * service and versions, the line with the numbers (the decision's explanation, or the phase
 * change's reason), where the release stands, and a link to its page in the dashboard.
 * https://api.slack.com/messaging/webhooks: a JSON `text` (the notification's fallback) and
 * `blocks` in mrkdwn; Slack answers 200 "ok", or 4xx for a bad or revoked webhook.
 */
import {
  announcementHeadline,
  EVENT_LOOKS,
  type Announcement,
} from '../../core/notifications/events.js';
import { defaultSecretReader, readSecret, type SecretReader } from '../secrets.js';
import { NotificationDeliveryError } from './errors.js';
import { postNotification } from './http.js';
import {
  DEFAULT_SINK_TIMEOUT_MS,
  releasePageUrl,
  type Delivered,
  type NotificationSink,
  type SinkContext,
  type SlackSinkConfig,
} from './types.js';

/** Slack's mrkdwn control characters, escaped as its documentation asks. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack's limit on a section block's text. */
const SECTION_MAX = 3000;

const cap = (text: string) =>
  text.length > SECTION_MAX ? `${text.slice(0, SECTION_MAX - 1)}…` : text;

/** The message for an announcement: `text` for notifications, `blocks` for the channel. */
export function slackMessage(a: Announcement, publicUrl?: string): Record<string, unknown> {
  const look = EVENT_LOOKS[a.event];
  const icon =
    look.type === 'Warning'
      ? ':warning:'
      : a.event === 'promoted'
        ? ':white_check_mark:'
        : ':large_blue_circle:';
  const headline = announcementHeadline(a);
  const url = releasePageUrl(publicUrl, a.releaseId);
  const facts = [
    `phase *${a.phase}*`,
    `step ${a.step}/${a.totalSteps}`,
    `canary ${a.weights.canary}% / stable ${a.weights.stable}%`,
    `release \`${slackEscape(a.releaseId)}\``,
  ].join(' · ');
  const blocks: Record<string, unknown>[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: cap(`${icon} *${slackEscape(headline)}*\n${slackEscape(a.message)}`),
      },
    },
  ];
  if (a.decision)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: cap(
          `*Decision* (step ${a.decision.step}, look ${a.decision.look}/${a.decision.plannedLooks}, ${slackEscape(a.decision.decidedBy)}): ${a.decision.verdict} → ${slackEscape(a.decision.action)}\n${slackEscape(a.decision.explanation)}`,
        ),
      },
    });
  if (a.outcome && a.outcome !== a.message && !a.message.includes(a.outcome))
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: cap(`*Outcome*: ${slackEscape(a.outcome)}`) },
    });
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: url ? `${facts} · <${url}|open the release>` : facts }],
  });
  return { text: `${headline}: ${a.message}`, blocks };
}

export class SlackSink implements NotificationSink {
  private readonly secrets: SecretReader;
  private readonly fetch: typeof fetch;

  constructor(
    readonly name: string,
    private readonly config: SlackSinkConfig,
    private readonly context: SinkContext = {},
  ) {
    this.secrets = context.secrets ?? defaultSecretReader();
    this.fetch = context.fetch ?? fetch;
  }

  async deliver(a: Announcement, options: { signal?: AbortSignal } = {}): Promise<Delivered> {
    // read at each delivery, so a rotated webhook is picked up
    const url = readSecret(
      this.config.webhookUrl,
      `notification sink "${this.name}": webhookUrl`,
      this.secrets,
      (message, cause) =>
        new NotificationDeliveryError(this.name, message, {
          kind: 'config',
          nonRetryable: true,
          ...cause,
        }),
    );
    if (!/^https?:\/\//i.test(url))
      throw new NotificationDeliveryError(
        this.name,
        'its webhookUrl secret is not an http(s) URL',
        {
          kind: 'config',
          nonRetryable: true,
        },
      );
    return postNotification({
      sink: this.name,
      url,
      body: JSON.stringify(slackMessage(a, this.context.publicUrl)),
      headers: { 'content-type': 'application/json', 'user-agent': 'canary-engine' },
      timeoutMs: this.config.timeoutMs ?? DEFAULT_SINK_TIMEOUT_MS,
      fetch: this.fetch,
      signal: options.signal,
    });
  }
}
