/**
 * The Slack and webhook sinks against a local HTTP listener: both keep the notification sink
 * contract, then what each one sends — Slack a readable message with the decision's numbers and a
 * link to the release page, the webhook a JSON body whose signature a receiver can verify.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationSink } from '../../activities/notify/factory.js';
import { NotificationDeliveryError } from '../../activities/notify/errors.js';
import { slackMessage, SlackSink } from '../../activities/notify/slack.js';
import { WebhookSink } from '../../activities/notify/webhook.js';
import {
  describeNotificationSinkContract,
  ANNOUNCEMENT,
} from '../contract/notification-sink.contract.js';
import { startNotifyListener, type NotifyListener } from '../harness/notify-listener.js';

const KEY = 'whsec-test-key';
const secrets = (present: boolean) => ({
  env: present ? { HOOK_URL: '', SLACK_URL: '', HOOK_KEY: KEY } : {},
  readFile: () => {
    throw new Error('no files');
  },
});

describeNotificationSinkContract('SlackSink', {
  make: (url, options = {}) =>
    new SlackSink(
      'under-test',
      { type: 'slack', webhookUrl: { env: 'SLACK_URL' }, timeoutMs: options.timeoutMs },
      { secrets: { env: options.missingSecret ? {} : { SLACK_URL: url }, readFile: () => '' } },
    ),
});

describeNotificationSinkContract('WebhookSink', {
  make: (url, options = {}) =>
    new WebhookSink(
      'under-test',
      { type: 'webhook', url, secret: { env: 'HOOK_KEY' }, timeoutMs: options.timeoutMs },
      { secrets: secrets(!options.missingSecret) },
    ),
});

/** What a receiver does: recompute the HMAC over "<timestamp>.<raw body>" and compare in constant time. */
function verify(headers: Record<string, string | string[] | undefined>, body: string): boolean {
  const timestamp = String(headers['x-canary-timestamp']);
  const expected = `sha256=${createHmac('sha256', KEY).update(`${timestamp}.${body}`).digest('hex')}`;
  const given = String(headers['x-canary-signature']);
  return (
    given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
  );
}

describe('the webhook sink', () => {
  let listener: NotifyListener;
  beforeAll(async () => {
    listener = await startNotifyListener();
  });
  afterAll(() => listener.close());

  it('signs "<timestamp>.<body>" with HMAC-SHA256 under the operator’s key, at the attempt’s time', async () => {
    listener.received.length = 0;
    const sink = new WebhookSink(
      'audit',
      {
        type: 'webhook',
        url: `${listener.url}/canary`,
        secret: { env: 'HOOK_KEY' },
        headers: { Authorization: 'Bearer receiver-token' },
      },
      {
        secrets: secrets(true),
        publicUrl: 'https://canary.example.com/',
        now: () => 1_740_830_400_123,
      },
    );
    await sink.deliver(ANNOUNCEMENT);
    const [request] = listener.received;
    expect(request?.path).toBe('/canary');
    expect(request?.headers['x-canary-timestamp']).toBe('1740830400');
    expect(request?.headers['x-canary-event']).toBe('rolledBack');
    expect(request?.headers['x-canary-delivery']).toBe('run-1.7');
    expect(request?.headers.authorization).toBe('Bearer receiver-token');
    expect(verify(request?.headers ?? {}, request?.body ?? '')).toBe(true);
    // one changed byte, or the same body under another timestamp, does not verify
    expect(verify(request?.headers ?? {}, `${request?.body} `)).toBe(false);
    expect(
      verify({ ...request?.headers, 'x-canary-timestamp': '1740830401' }, request?.body ?? ''),
    ).toBe(false);
    expect(JSON.parse(request?.body ?? '')).toEqual({
      id: 'run-1.7',
      event: 'rolledBack',
      timestamp: '2025-03-01T12:00:00.000Z',
      releaseId: 'web-v2',
      service: 'web',
      namespace: 'team-a',
      stableVersion: 'v1',
      canaryVersion: 'v2',
      phase: 'RolledBack',
      step: 1,
      totalSteps: 3,
      weights: { stable: 100, canary: 0 },
      message: ANNOUNCEMENT.message,
      decision: ANNOUNCEMENT.decision,
      outcome: ANNOUNCEMENT.outcome,
      url: 'https://canary.example.com/ui/releases/web-v2',
    });
  });
});

describe('the Slack sink', () => {
  it('says what happened to which versions, with the decision’s numbers and a link to the release page', () => {
    const message = slackMessage(
      { ...ANNOUNCEMENT, releaseId: 'web v2/<1>' },
      'https://canary.example.com',
    );
    expect(message.text).toBe(`web v1 → v2 (team-a): rolled back: ${ANNOUNCEMENT.message}`);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('*web v1 → v2 (team-a): rolled back*');
    expect(text).toContain(
      'error rate 5.0% vs 1.0% baseline, p = 0.0001 < 0.002'.replace('<', '&lt;'),
    );
    expect(text).toContain('step 1, look 1/3, metric:errorRate');
    expect(text).toContain(
      '<https://canary.example.com/ui/releases/web%20v2%2F%3C1%3E|open the release>',
    );
    // a release id cannot forge a link or a mention
    expect(text).toContain('`web v2/&lt;1&gt;`');
  });

  it('posts it to the webhook URL read from the operator’s secret', async () => {
    const listener = await startNotifyListener();
    try {
      const sink = createNotificationSink(
        'slack-sre',
        { 'slack-sre': { type: 'slack', webhookUrl: { env: 'SLACK_URL' } } },
        { secrets: { env: { SLACK_URL: `${listener.url}/services/T0/B0/x` }, readFile: () => '' } },
      );
      await sink.deliver(ANNOUNCEMENT);
      expect(listener.received.map((r) => r.path)).toEqual(['/services/T0/B0/x']);
      const blocks = (
        JSON.parse(listener.received[0]?.body ?? '') as { blocks: { type: string }[] }
      ).blocks;
      // the headline with the line, the decision, the facts with the link (the outcome is in the line)
      expect(blocks.map((b) => b.type)).toEqual(['section', 'section', 'context']);
    } finally {
      await listener.close();
    }
  });
});

describe('the sink factory', () => {
  it('refuses a name the worker does not have, for good', () => {
    const error = (() => {
      try {
        createNotificationSink('pagerduty', {});
      } catch (e) {
        return e;
      }
    })() as NotificationDeliveryError;
    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect(error.nonRetryable).toBe(true);
    expect(error.message).toBe(
      '"pagerduty" is not a notification sink of this worker (it has: none)',
    );
  });
});
