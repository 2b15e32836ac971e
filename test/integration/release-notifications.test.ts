/**
 * Notifications from real releases (issue #17 item 3): the real workflow on the Temporal dev server
 * with fake release activities and the real announce activity posting to a local HTTP listener.
 * Four releases between them meet every event — a gated, paused, extended and baked promotion; a
 * rollback whose first round fails; a release the pre-flight refuses; a promotion that fails —
 * and each event reaches the webhook once, signed. A sink that answers 500 is retried and then
 * recorded as undelivered, and the release ends as it would have, without waiting for it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnnounceDeps } from '../../activities/notify/announce.js';
import { createNotificationSink } from '../../activities/notify/factory.js';
import type { SinkConfig } from '../../activities/notify/types.js';
import { NOTIFICATION_EVENTS, type NotificationEvent } from '../../core/notifications/events.js';
import type { Verdict } from '../../core/types.js';
import { approveSignal, pauseSignal, resumeSignal, statusQuery } from '../../workflows/messages.js';
import type { FakeCluster } from '../harness/fake-activities.js';
import { startNotifyListener, type NotifyListener } from '../harness/notify-listener.js';
import {
  finishRelease,
  inPhase,
  launchRelease,
  waitForStatus,
  type LaunchOptions,
} from '../harness/release-run.js';
import { connectTestEnv } from '../harness/temporal.js';

const KEY = 'hook-signing-key';
const FAST = { maxAttempts: 3, initialIntervalMs: 200, maxIntervalMs: 400, settleMs: 20_000 };

let env: TestWorkflowEnvironment;
let hook: NotifyListener;
beforeAll(async () => {
  env = await connectTestEnv();
  hook = await startNotifyListener();
});
afterAll(async () => {
  await hook?.close();
  await env?.teardown();
});

/** The announce activity of a worker whose operator configured these webhook sinks. */
function announcing(sinks: Record<string, string>): AnnounceDeps {
  const config: Record<string, SinkConfig> = Object.fromEntries(
    Object.entries(sinks).map(([name, url]) => [
      name,
      { type: 'webhook', url, secret: { env: 'HOOK_KEY' }, timeoutMs: 2000 },
    ]),
  );
  const secrets = { env: { HOOK_KEY: KEY }, readFile: () => '' };
  return { sinkFor: (name) => createNotificationSink(name, config, { secrets }) };
}

function signatureValid(headers: Record<string, unknown>, body: string): boolean {
  const expected = `sha256=${createHmac('sha256', KEY)
    .update(`${String(headers['x-canary-timestamp'])}.${body}`)
    .digest('hex')}`;
  const given = String(headers['x-canary-signature']);
  return (
    given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
  );
}

const everything = { notifications: [{ sink: 'hook', events: [...NOTIFICATION_EVENTS] }] };

async function release(
  overrides: Record<string, unknown>,
  script: Verdict[],
  options: LaunchOptions & {
    drive?: (run: Awaited<ReturnType<typeof launchRelease>>) => Promise<void>;
  } = {},
) {
  const run = await launchRelease(env, { ...everything, ...overrides }, script, {
    announce: announcing({ hook: `${hook.url}/canary` }),
    announceTiming: FAST,
    ...options,
  });
  await options.drive?.(run);
  return { spec: run.spec, status: await finishRelease(run) };
}

describe('a webhook subscribed to every event', () => {
  it('receives each event type of four releases exactly once, each signed, and the timeline says so', async () => {
    const runs = await Promise.all([
      // gated, paused in its first window, extended once, baked, promoted
      release(
        {
          schedule: {
            steps: [
              { weight: 10, observe: '3s', approval: true },
              { weight: 50, observe: '1s' },
            ],
          },
          policies: { promotion: { bake: '2s' } },
        },
        ['inconclusive', 'pass', 'pass'],
        {
          drive: async (run) => {
            await waitForStatus(run.handle, inPhase('AwaitingApproval'));
            await run.handle.signal(approveSignal, { actor: 'alice' });
            await waitForStatus(
              run.handle,
              (s) => s.phase === 'Progressing' && s.windowEndsAt !== null,
            );
            await run.handle.signal(pauseSignal, { actor: 'bob' });
            await waitForStatus(run.handle, inPhase('Paused'));
            await run.handle.signal(resumeSignal, { actor: 'bob' });
          },
        },
      ),
      // analysis fails; the first rollback round fails, the second restores stable
      release({}, ['fail'], {
        tune: (c: FakeCluster) => {
          c.failRollbacks = 2;
        },
        rollbackTiming: {
          firstBackoffMs: 300,
          maxBackoffMs: 600,
          fastAttempts: 2,
          fastMaxIntervalMs: 100,
        },
      }),
      // refused by the pre-flight
      release({}, ['pass'], {
        tune: (c: FakeCluster) => {
          c.preflightRefusal = 'namespace default is not on this worker’s allow-list';
        },
      }),
      // stable never becomes healthy on the new version
      release({}, ['pass'], {
        tune: (c: FakeCluster) => {
          c.promotionFails = true;
        },
      }),
    ]);
    expect(runs.map((r) => r.status.phase)).toEqual([
      'Promoted',
      'RolledBack',
      'Rejected',
      'Failed',
    ]);

    const ours = new Set(runs.map((r) => r.spec.releaseId));
    const deliveries = hook.received
      .map((r) => ({
        ...r,
        json: JSON.parse(r.body) as { releaseId: string; event: NotificationEvent; id: string },
      }))
      .filter((r) => ours.has(r.json.releaseId));
    for (const d of deliveries) expect(signatureValid(d.headers, d.body)).toBe(true);
    // exactly once: no announcement id arrives twice
    const ids = deliveries.map((d) => d.json.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...new Set(deliveries.map((d) => d.json.event))].sort()).toEqual(
      [...NOTIFICATION_EVENTS].sort(),
    );

    const eventsOf = (i: number) =>
      deliveries
        .filter((d) => d.json.releaseId === runs[i]?.spec.releaseId)
        .map((d) => d.json.event);
    expect(eventsOf(0)).toEqual([
      'started',
      'gatePending',
      'resumed',
      'paused',
      'resumed',
      'decisionInconclusive',
      'stepPassed',
      'stepPassed',
      'promoting',
      'baking',
      'promoted',
    ]);
    expect(eventsOf(1)).toEqual([
      'started',
      'decisionFailed',
      'rollingBack',
      'rollbackRetrying',
      'rolledBack',
    ]);
    expect(eventsOf(2)).toEqual(['rejected']);
    expect(eventsOf(3)).toEqual(['started', 'stepPassed', 'stepPassed', 'promoting', 'failed']);

    // each delivery is in its release's timeline, after the release reached its end
    const notes = runs[1]?.status.timeline
      .filter((e) => e.message.startsWith('notified hook'))
      .map((e) => e.message);
    expect(notes).toEqual([
      'notified hook: started',
      'notified hook: analysis failed',
      'notified hook: rolling back',
      'notified hook: rollback retrying',
      'notified hook: rolled back',
    ]);
  });
});

describe('a sink that fails', () => {
  it('is retried, then recorded undelivered with its status only, while the release is promoted on time', async () => {
    const down = await startNotifyListener({
      status: 500,
      body: 'java.lang.NullPointerException at internal.host',
    });
    const gone = await startNotifyListener({ status: 404 });
    try {
      const run = await launchRelease(
        env,
        { notifications: [{ sink: 'down' }, { sink: 'gone', events: ['promoted'] }] },
        ['pass'],
        { announce: announcing({ down: down.url, gone: gone.url }), announceTiming: FAST },
      );
      const status = await finishRelease(run);
      expect(status.phase).toBe('Promoted');
      expect(status.outcome).toBe('promoted v2: every step passed analysis');
      // started and promoted, three attempts each; the 404 once
      expect(down.received).toHaveLength(6);
      expect(gone.received).toHaveLength(1);
      const errors = status.timeline.filter((e) => e.type === 'error').map((e) => e.message);
      expect(errors).toEqual([
        'notification to down undelivered after 3 attempts: HTTP 500 Internal Server Error',
        'notification to gone undelivered after 1 attempt: HTTP 404 Not Found (not retried)',
        'notification to down undelivered after 3 attempts: HTTP 500 Internal Server Error',
      ]);
      expect(JSON.stringify(status)).not.toContain('NullPointer');
      // the release did not wait: it was Promoted before the last attempt reached the sink
      const lastAttempt = Math.max(...down.received.map((r) => r.at));
      expect(Date.parse(status.finishedAt ?? '')).toBeLessThan(lastAttempt);
    } finally {
      await down.close();
      await gone.close();
    }
  });
});

describe('announcements still failing when the release ends', () => {
  it('are handed to a workflow of their own that keeps retrying them, so the release closes at once', async () => {
    const down = await startNotifyListener({ status: 503 });
    try {
      const run = await launchRelease(env, { notifications: [{ sink: 'down' }] }, ['pass'], {
        announce: announcing({ down: down.url }),
        // a second between attempts, and only 300 ms of grace at the end
        announceTiming: {
          maxAttempts: 3,
          initialIntervalMs: 1_000,
          maxIntervalMs: 1_000,
          graceMs: 300,
          settleMs: 20_000,
        },
      });
      await run.handle.result();
      const closedAt = Date.now();
      const status = await run.handle.query(statusQuery);
      expect(status.phase).toBe('Promoted');
      const note = status.timeline.find((e) => e.message.includes('keeps retrying'));
      expect(note?.message).toMatch(
        /^\d announcements? still undelivered after 300ms; workflow (\S+) keeps retrying after the release ends$/,
      );
      const childId = /workflow (\S+) keeps/.exec(note?.message ?? '')?.[1] ?? 'missing';
      const outcomes = (await env.client.workflow.getHandle(childId).result()) as {
        id: string;
        result: { delivered: boolean; attempts: number };
      }[];
      // every announcement the release left got its three attempts after the release had closed
      expect(outcomes.length).toBeGreaterThan(0);
      for (const outcome of outcomes)
        expect(outcome.result).toMatchObject({ delivered: false, attempts: 3 });
      const last = Math.max(...down.received.map((r) => r.at));
      expect(last).toBeGreaterThan(closedAt);
      const promoted = down.received.filter((r) => r.body.includes('"event":"promoted"'));
      expect(promoted.length).toBeGreaterThanOrEqual(3);
      await finishRelease(run);
    } finally {
      await down.close();
    }
  });
});
