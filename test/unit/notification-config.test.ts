/**
 * Notifications as a spec and an operator ask for them (issue #17 item 3): the events a release
 * announces and which change each one is, a spec that names sinks the engine does not have, and
 * the operator's `notificationSinks` validated with every problem at its field.
 */
import { describe, expect, it } from 'vitest';
import { CLUSTER_CAPABILITIES, type EngineCapabilities } from '../../core/capabilities.js';
import {
  announcementEvent,
  DEFAULT_NOTIFICATION_EVENTS,
  EVENT_LOOKS,
  kubeEventMessage,
  NOTIFICATION_EVENTS,
  subscribedSinks,
  type Announcement,
} from '../../core/notifications/events.js';
import { validateReleaseSpec } from '../../core/spec.js';
import { engineCapabilities, parseEngineConfig } from '../../worker/engine-config.js';
import { jsonHeaders, TOKENS, unitApp } from '../harness/api.js';

const minimal = { service: 'web', stableVersion: 'v1', canaryVersion: 'v2' };
const WITH_SINKS: EngineCapabilities = {
  ...CLUSTER_CAPABILITIES,
  notificationSinks: ['slack-sre', 'audit'],
};
const problems = (input: Record<string, unknown>, capabilities?: EngineCapabilities) => {
  const result = validateReleaseSpec(
    { ...minimal, ...input },
    capabilities ? { capabilities } : {},
  );
  return result.ok ? [] : result.problems;
};

describe('a spec’s notifications', () => {
  it('are none by default', () => {
    const result = validateReleaseSpec(minimal);
    expect(result.ok && result.spec.notifications).toEqual([]);
  });

  it('refuses a sink the engine does not have, at notifications[i].sink, listing the ones it has', () => {
    expect(
      problems(
        { notifications: [{ sink: 'slack-sre' }, { sink: 'pagerduty', events: ['failed'] }] },
        WITH_SINKS,
      ),
    ).toEqual([
      {
        path: 'notifications[1].sink',
        message: '"pagerduty" is not a notification sink of this engine (it has: slack-sre, audit)',
      },
    ]);
    expect(problems({ notifications: [{ sink: 'audit' }] }, CLUSTER_CAPABILITIES)).toEqual([
      {
        path: 'notifications[0].sink',
        message: '"audit" is not a notification sink of this engine (it has: none)',
      },
    ]);
  });

  it('refuses an unknown event, a repeated event, an empty list and a sink named twice', () => {
    expect(
      problems({ notifications: [{ sink: 'audit', events: ['rolledback'] }] }).map((p) => p.path),
    ).toEqual(['notifications[0].events[0]']);
    expect(problems({ notifications: [{ sink: 'audit', events: ['failed', 'failed'] }] })).toEqual([
      { path: 'notifications[0].events', message: 'must not repeat an event' },
    ]);
    expect(problems({ notifications: [{ sink: 'audit', events: [] }] })[0]?.path).toBe(
      'notifications[0].events',
    );
    expect(problems({ notifications: [{ sink: 'audit' }, { sink: 'audit' }] })).toEqual([
      {
        path: 'notifications',
        message: 'must name each sink once (list all its events in one entry)',
      },
    ]);
  });

  it('subscribes a sink without events to the default set, and a sink once per event', () => {
    const notifications = [{ sink: 'a' }, { sink: 'b', events: ['stepPassed', 'rolledBack'] }];
    expect(subscribedSinks(notifications, 'rolledBack')).toEqual(['a', 'b']);
    expect(subscribedSinks(notifications, 'stepPassed')).toEqual(['b']);
    expect(subscribedSinks(notifications, 'paused')).toEqual([]);
    expect(DEFAULT_NOTIFICATION_EVENTS).toContain('gatePending');
    expect(DEFAULT_NOTIFICATION_EVENTS).not.toContain('stepPassed');
  });
});

describe('what each change of a release announces', () => {
  const phase = (to: string, from = 'Progressing') =>
    announcementEvent({ kind: 'phase', phase: to, previous: from, message: '' });
  const decision = (verdict: string) =>
    announcementEvent({ kind: 'decision', verdict, message: '', index: 0 });

  it('is started only when progress begins after Pending, resumed otherwise', () => {
    expect(phase('Progressing', 'Pending')).toBe('started');
    expect(phase('Progressing', 'AwaitingApproval')).toBe('resumed');
    expect(phase('Progressing', 'Paused')).toBe('resumed');
  });

  it('names every phase of a release and every verdict, and nothing for the repair’s phases', () => {
    expect(
      ['AwaitingApproval', 'Paused', 'Promoting', 'Baking', 'Promoted', 'RollingBack'].map((p) =>
        phase(p),
      ),
    ).toEqual(['gatePending', 'paused', 'promoting', 'baking', 'promoted', 'rollingBack']);
    expect(['RollbackRetrying', 'RolledBack', 'Rejected', 'Failed'].map((p) => phase(p))).toEqual([
      'rollbackRetrying',
      'rolledBack',
      'rejected',
      'failed',
    ]);
    expect(['pass', 'inconclusive', 'fail'].map(decision)).toEqual([
      'stepPassed',
      'decisionInconclusive',
      'decisionFailed',
    ]);
    expect(phase('Repairing')).toBeUndefined();
    expect(phase('Pending')).toBeUndefined();
  });

  it('gives every event a CamelCase Kubernetes reason, a Warning for bad news', () => {
    for (const event of NOTIFICATION_EVENTS)
      expect(EVENT_LOOKS[event].reason).toMatch(/^Canary[A-Z][A-Za-z]+$/);
    const warnings = NOTIFICATION_EVENTS.filter((e) => EVENT_LOOKS[e].type === 'Warning');
    expect(warnings).toEqual([
      'decisionFailed',
      'rollingBack',
      'rollbackRetrying',
      'rolledBack',
      'rejected',
      'failed',
    ]);
  });

  it('caps a Kubernetes event’s message at 1 kB, keeping where the release stands', () => {
    const a: Announcement = {
      id: 'run.1',
      event: 'decisionFailed',
      at: '2025-01-01T00:00:00.000Z',
      releaseId: 'web-v2',
      service: 'web',
      namespace: 'team-a',
      stableVersion: 'v1',
      canaryVersion: 'v2',
      phase: 'Progressing',
      step: 1,
      totalSteps: 3,
      weights: { stable: 90, canary: 10 },
      message: 'step 1 look 1: fail — error rate 5.0% vs 1.0% → roll back',
      decision: null,
      outcome: null,
    };
    expect(kubeEventMessage(a)).toBe(
      'step 1 look 1: fail — error rate 5.0% vs 1.0% → roll back (step 1/3, canary 10%, release web-v2)',
    );
    expect(kubeEventMessage({ ...a, message: 'x'.repeat(2000) })).toHaveLength(1024);
  });
});

describe('the operator’s notificationSinks', () => {
  it('accepts a Slack webhook and a signed webhook, and gives their names to the API', () => {
    const config = parseEngineConfig({
      notificationSinks: {
        'slack-sre': { type: 'slack', webhookUrl: { env: 'SLACK_SRE_WEBHOOK' } },
        audit: {
          type: 'webhook',
          url: 'https://audit.example.com/canary',
          secret: { file: '/etc/canary/notify/audit-key' },
          headers: { Authorization: 'Bearer abc' },
          timeoutMs: 5000,
        },
      },
    });
    expect(engineCapabilities(config, { sandbox: false }).notificationSinks).toEqual([
      'slack-sre',
      'audit',
    ]);
    expect(parseEngineConfig({}).notificationSinks).toEqual({});
  });

  it('names every bad field: a URL as the Slack secret, a reserved header, no secret, a bad name', () => {
    expect(() =>
      parseEngineConfig({
        notificationSinks: {
          slack: { type: 'slack', webhookUrl: 'https://hooks.slack.com/services/T/B/x' },
          hook: {
            type: 'webhook',
            url: 'https://h.example.com/x',
            secret: { env: 'HOOK_KEY' },
            headers: { 'X-Canary-Signature': 'forged' },
          },
          bare: { type: 'webhook', url: 'https://h.example.com/y' },
          Bad_Name: { type: 'slack', webhookUrl: { env: 'X' } },
        },
      }),
    ).toThrow(
      /notificationSinks\.slack\.webhookUrl: .*\n.*notificationSinks\.hook\.headers\.X-Canary-Signature: is set by the engine itself\n.*notificationSinks\.bare\.secret: is required.*\n.*notificationSinks\.Bad_Name: /,
    );
  });
});

describe('POST /v1/releases with notifications', () => {
  it('answers 400 problem+json with the path of a sink the engine does not have, starting nothing', async () => {
    const app = unitApp({ capabilities: { ...WITH_SINKS, sandbox: true } });
    const res = await app.request('/v1/releases', {
      method: 'POST',
      headers: jsonHeaders(TOKENS.deployer),
      body: JSON.stringify({
        ...minimal,
        router: { type: 'sandbox' },
        notifications: [{ sink: 'slack-sre' }, { sink: 'slack-ops', events: ['rolledBack'] }],
      }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { problems: { path: string; message: string }[] };
    expect(problem.problems).toEqual([
      {
        path: 'notifications[1].sink',
        message: '"slack-ops" is not a notification sink of this engine (it has: slack-sre, audit)',
      },
    ]);
  });
});
