/**
 * Kubernetes Events on the real kube-apiserver (issue #17 item 4): what `kubectl describe
 * deployment` lists (core/v1 Events whose involvedObject is the Deployment, by uid) and what the
 * events.k8s.io/v1 view shows, a retried attempt that does not write twice, a Deployment that is
 * missing, and a whole release whose events tell its story in order.
 */
import { EventsV1Api, type CoreV1Event } from '@kubernetes/client-node';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANNOUNCEMENT_ANNOTATION,
  KubeEvents,
  REPORTING_CONTROLLER,
} from '../../activities/kube/events.js';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import {
  announcementEvent,
  EVENT_LOOKS,
  type Announcement,
} from '../../core/notifications/events.js';
import { deployment, freshNamespace, testKube } from '../fixtures/kube/cluster.js';
import { PodLabelMetrics } from '../fixtures/kube/release-stack.js';
import { releaseWithImage, type StackContext } from '../fixtures/kube/release-scenarios.js';
import { connectTestEnv } from '../harness/temporal.js';

const kube = testKube();

const announcement = (id: string, overrides: Partial<Announcement> = {}): Announcement => ({
  id,
  event: 'decisionFailed',
  at: new Date().toISOString(),
  releaseId: 'web-v2',
  service: 'web',
  namespace: 'ignored',
  stableVersion: 'v1',
  canaryVersion: 'v2',
  phase: 'Progressing',
  step: 1,
  totalSteps: 3,
  weights: { stable: 90, canary: 10 },
  message: 'step 1 look 1: fail — error rate 5.0% vs 1.0% baseline, p = 0.0001 < 0.002 → roll back',
  decision: null,
  outcome: null,
  ...overrides,
});

/** What `kubectl describe deployment` asks for: events whose involvedObject is this Deployment. */
async function describeEvents(
  admin: KubeClients,
  namespace: string,
  name: string,
): Promise<CoreV1Event[]> {
  const d = await admin.apps.readNamespacedDeployment({ namespace, name });
  const list = await admin.core.listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.kind=Deployment,involvedObject.name=${name},involvedObject.uid=${d.metadata?.uid}`,
  });
  return list.items.filter((e) => e.source?.component === 'canary-engine');
}

describe.skipIf(!kube)('Kubernetes Events on the stable Deployment', () => {
  const admin = kube as KubeClients;

  it('are listed by kubectl describe with reason, type, message and the reporting controller', async () => {
    const namespace = await freshNamespace(admin, 'events');
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: deployment('web', 'web', 'stable', 'registry.example.com/web:1.4.0', 1),
    });
    const events = new KubeEvents(admin, 'worker-0');
    const target = { namespace, deployment: 'web' };
    await events.record(
      announcement('run.1', { event: 'started', message: 'phase Progressing' }),
      target,
    );
    await events.record(announcement('run.2'), target);
    // a retried attempt of the same announcement finds its event there
    await events.record(announcement('run.2'), target);

    const listed = await describeEvents(admin, namespace, 'web');
    expect(listed.map((e) => [e.reason, e.type])).toEqual([
      ['CanaryStarted', 'Normal'],
      ['CanaryAnalysisFailed', 'Warning'],
    ]);
    expect(listed[1]?.message).toBe(
      'step 1 look 1: fail — error rate 5.0% vs 1.0% baseline, p = 0.0001 < 0.002 → roll back (step 1/3, canary 10%, release web-v2)',
    );
    expect(listed[1]?.reportingComponent).toBe(REPORTING_CONTROLLER);
    expect(listed[1]?.reportingInstance).toBe('worker-0');
    expect(listed[1]?.count).toBe(1);

    // the same events through events.k8s.io/v1, as `kubectl events` reads them
    const v1 = admin.kubeConfig.makeApiClient(EventsV1Api);
    const modern = (await v1.listNamespacedEvent({ namespace })).items.filter(
      (e) => e.reportingController === REPORTING_CONTROLLER,
    );
    expect(modern.map((e) => [e.reason, e.regarding?.name, e.action])).toEqual([
      ['CanaryStarted', 'web', 'started'],
      ['CanaryAnalysisFailed', 'web', 'decisionFailed'],
    ]);
  });

  it('still records the event of a release whose Deployment is missing, for kubectl get events', async () => {
    const namespace = await freshNamespace(admin, 'events-missing');
    await new KubeEvents(admin).record(
      announcement('run.9', {
        event: 'rejected',
        message: 'refused before any change: team-a/Deployment/web not found',
      }),
      { namespace, deployment: 'web' },
    );
    const list = await admin.core.listNamespacedEvent({
      namespace,
      fieldSelector: 'involvedObject.name=web',
    });
    expect(list.items.map((e) => [e.reason, e.type, e.involvedObject.uid ?? null])).toEqual([
      ['CanaryRejected', 'Warning', null],
    ]);
  });
});

describe.skipIf(!kube)('a release on the real control plane', () => {
  const admin = kube as KubeClients;
  let env: TestWorkflowEnvironment;
  let ctx: StackContext;
  beforeAll(async () => {
    env = await connectTestEnv();
    ctx = { env, kube: admin, metrics: new PodLabelMetrics(admin) };
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('tells its story in the stable Deployment’s events, one per phase change and decision', async () => {
    const run = await releaseWithImage(ctx, 'events-story', {
      schedule: {
        steps: [
          { weight: 20, observe: '2s' },
          { weight: 50, observe: '2s' },
        ],
      },
    });
    expect(run.status.phase, run.status.outcome ?? '').toBe('Promoted');
    const listed = await describeEvents(admin, run.namespace, 'web');
    const sequence = (e: CoreV1Event) =>
      Number(e.metadata?.annotations?.[ANNOUNCEMENT_ANNOTATION]?.split('.').at(-1));
    const ordered = [...listed].sort((a, b) => sequence(a) - sequence(b));
    const story = ordered.map((e) => e.reason);
    // one event per phase change and per decision, in the timeline's order
    let previous = 'Pending';
    const expected = run.status.timeline.flatMap((entry) => {
      const change =
        entry.type === 'decision' && entry.decision !== undefined
          ? announcementEvent({
              kind: 'decision',
              verdict: run.status.decisions[entry.decision]?.decision.verdict ?? '',
              message: '',
              index: entry.decision,
            })
          : entry.type === 'phase' && entry.phase
            ? announcementEvent({ kind: 'phase', phase: entry.phase, previous, message: '' })
            : undefined;
      if (entry.type === 'phase' && entry.phase) previous = entry.phase;
      return change ? [EVENT_LOOKS[change].reason] : [];
    });
    expect(story).toEqual(expected);
    expect(story[0]).toBe('CanaryStarted');
    expect(story.filter((r) => r === 'CanaryStepPassed')).toHaveLength(2);
    expect(story.slice(-2)).toEqual(['CanaryPromoting', 'CanaryPromoted']);
    const passed = ordered.find((e) => e.reason === 'CanaryStepPassed');
    expect(passed?.message).toMatch(
      /^step 1 look \d+: pass — .+ → next step \(step 1\/2, canary 20%, release /,
    );
    // nothing went wrong recording them
    expect(run.status.timeline.filter((e) => e.type === 'error')).toEqual([]);
  });
});
