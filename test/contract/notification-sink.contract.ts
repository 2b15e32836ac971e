/**
 * What every notification sink must do, run by each one's test against a local HTTP listener:
 * deliver an announcement in one request; say whether a failure is worth retrying (5xx, 429, a
 * time limit or no connection: yes; any other answer, a redirect or a missing secret: no); never
 * follow a redirect; never put the receiver's answer in its error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationDeliveryError } from '../../activities/notify/errors.js';
import type { NotificationSink } from '../../activities/notify/types.js';
import type { Announcement } from '../../core/notifications/events.js';
import { startNotifyListener, type NotifyListener } from '../harness/notify-listener.js';

export const ANNOUNCEMENT: Announcement = {
  id: 'run-1.7',
  event: 'rolledBack',
  at: '2025-03-01T12:00:00.000Z',
  releaseId: 'web-v2',
  service: 'web',
  namespace: 'team-a',
  stableVersion: 'v1',
  canaryVersion: 'v2',
  phase: 'RolledBack',
  step: 1,
  totalSteps: 3,
  weights: { stable: 100, canary: 0 },
  message:
    'rolled back: step 1 look 1: fail — error rate 5.0% vs 1.0% baseline, p = 0.0001 < 0.002 → roll back',
  decision: {
    step: 1,
    look: 1,
    plannedLooks: 3,
    verdict: 'fail',
    decidedBy: 'metric:errorRate',
    explanation: 'error rate 5.0% vs 1.0% baseline, p = 0.0001 < 0.002',
    action: 'roll back',
  },
  outcome: 'step 1 look 1: fail — error rate 5.0% vs 1.0% baseline, p = 0.0001 < 0.002',
};

export interface SinkUnderTest {
  /** The sink, posting to `url` (with `timeoutMs` per attempt) under the name "under-test". */
  make(url: string, options?: { timeoutMs?: number; missingSecret?: boolean }): NotificationSink;
}

async function failure(work: Promise<unknown>): Promise<NotificationDeliveryError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NotificationDeliveryError);
  return error as NotificationDeliveryError;
}

export function describeNotificationSinkContract(label: string, sink: SinkUnderTest): void {
  describe(`${label} (notification sink contract)`, () => {
    let listener: NotifyListener;
    beforeAll(async () => {
      listener = await startNotifyListener();
    });
    afterAll(() => listener.close());
    const fresh = () => {
      listener.received.length = 0;
      listener.answers.length = 0;
    };

    it('delivers an announcement in one JSON POST and reports the status', async () => {
      fresh();
      const delivered = await sink.make(`${listener.url}/hook`).deliver(ANNOUNCEMENT);
      expect(delivered).toEqual({ status: 200 });
      expect(listener.received).toHaveLength(1);
      expect(listener.received[0]?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(listener.received[0]?.body ?? '')).toBeTypeOf('object');
    });

    it('calls a 5xx or a 429 retryable and a 4xx final, by status alone, never echoing the answer', async () => {
      fresh();
      const answer = 'stack trace: secret-internal-hostname.corp';
      listener.answers.push(
        { status: 503, body: answer },
        { status: 429 },
        { status: 400, body: answer },
      );
      const unavailable = await failure(sink.make(listener.url).deliver(ANNOUNCEMENT));
      expect(unavailable.nonRetryable).toBe(false);
      expect(unavailable.message).toBe('HTTP 503 Service Unavailable');
      expect((await failure(sink.make(listener.url).deliver(ANNOUNCEMENT))).nonRetryable).toBe(
        false,
      );
      const refused = await failure(sink.make(listener.url).deliver(ANNOUNCEMENT));
      expect(refused.nonRetryable).toBe(true);
      expect(refused.message).toBe('HTTP 400 Bad Request (not retried)');
      expect(refused.object).toBe('notification sink "under-test"');
      expect(`${unavailable.message} ${refused.message}`).not.toContain('secret-internal');
    });

    it('does not follow a redirect, which would send the payload elsewhere', async () => {
      fresh();
      listener.answers.push({ status: 302, headers: { location: `${listener.url}/elsewhere` } });
      const error = await failure(sink.make(listener.url).deliver(ANNOUNCEMENT));
      expect(error.nonRetryable).toBe(true);
      expect(error.message).toMatch(
        /^HTTP 302 Found: a redirect, which the engine does not follow/,
      );
      expect(listener.received.map((r) => r.path)).toEqual(['/']);
    });

    it('gives up an attempt after its time limit, retryably', async () => {
      fresh();
      listener.answers.push({ delayMs: 1000 });
      const started = Date.now();
      const error = await failure(
        sink.make(listener.url, { timeoutMs: 150 }).deliver(ANNOUNCEMENT),
      );
      expect(Date.now() - started).toBeLessThan(900);
      expect(error.message).toBe('no answer within 150 ms');
      expect(error.nonRetryable).toBe(false);
    });

    it('calls a receiver that cannot be reached retryable, with the connection error’s code', async () => {
      const closed = await startNotifyListener();
      await closed.close();
      const error = await failure(sink.make(closed.url).deliver(ANNOUNCEMENT));
      expect(error.message).toBe('cannot connect (ECONNREFUSED)');
      expect(error.nonRetryable).toBe(false);
    });

    it('fails for good, naming the field and not the value, when its secret cannot be read', async () => {
      fresh();
      const error = await failure(
        sink.make(listener.url, { missingSecret: true }).deliver(ANNOUNCEMENT),
      );
      expect(error.nonRetryable).toBe(true);
      expect(error.kind).toBe('config');
      expect(error.message).toMatch(
        /^notification sink "under-test": \w+\.env names \w+, which is not set/,
      );
      expect(listener.received).toHaveLength(0);
    });
  });
}
