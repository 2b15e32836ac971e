/**
 * What a release may touch, on the worker's side: the namespace allow-list and the opt-in of every
 * object, checked by prepareRelease before any change (activities/preflight.ts,
 * activities/kube/opt-in.ts); and the four-eyes rule of the workflow's approve handler.
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { optsIn } from '../../activities/kube/opt-in.js';
import type { KubeObject } from '../../activities/kube/objects.js';
import type { OptInProblem } from '../../activities/kube/opt-in.js';
import { createActivities } from '../../activities/release-activities.js';
import type { TrafficRouter } from '../../activities/routers/types.js';
import type { WorkloadManager } from '../../activities/workloads/types.js';
import { policyProblem } from '../../workflows/handlers.js';
import { testSpec } from '../harness/release-spec.js';

function activitiesWith(options: {
  allowedNamespaces?: string[];
  routerProblems?: OptInProblem[];
  workloadProblems?: OptInProblem[];
}) {
  const calls: string[] = [];
  const router: TrafficRouter = {
    target: 'fake/router',
    initialize: async () => void calls.push('router.initialize'),
    getWeights: async () => ({ stable: 100, canary: 0 }),
    setWeights: async (w) => w,
    finalize: async () => ({ stable: 100, canary: 0 }),
    objectsNotOptedIn: async () => options.routerProblems ?? [],
  };
  const workloads: WorkloadManager = {
    prepareCanary: async () => void calls.push('workloads.prepare'),
    scaleForWeight: async () => undefined,
    promoteStable: async () => undefined,
    scaleDownCanary: async () => undefined,
    snapshotStable: async () => ({}),
    restoreStable: async () => undefined,
    objectsNotOptedIn: async () => options.workloadProblems ?? [],
  };
  const activities = createActivities({
    routerFor: () => router,
    workloadsFor: () => workloads,
    metricsFor: () => {
      throw new Error('no metrics in this test');
    },
    ...(options.allowedNamespaces ? { allowedNamespaces: options.allowedNamespaces } : {}),
  });
  return { activities, calls };
}

async function refusal(work: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('the pre-flight of prepareRelease', () => {
  it('refuses a namespace off the worker’s allow-list, non-retryable, naming it, before any change', async () => {
    const { activities, calls } = activitiesWith({ allowedNamespaces: ['team-a', 'shop-*'] });
    const failure = await refusal(activities.prepareRelease(testSpec({ namespace: 'team-b' })));
    expect(failure.type).toBe('NamespaceNotAllowedError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      "namespace team-b is not on this worker's allow-list (CANARY_ALLOWED_NAMESPACES: team-a, shop-*); the release changes nothing",
    );
    expect(failure.details?.[0]).toEqual({ kind: 'forbidden', object: 'namespace/team-b' });
    expect(calls).toEqual([]);
  });

  it('lets a namespace the allow-list matches by glob through', async () => {
    const { activities, calls } = activitiesWith({ allowedNamespaces: ['team-a', 'shop-*'] });
    await activities.prepareRelease(testSpec({ namespace: 'shop-eu' }));
    expect(calls).toEqual(['workloads.prepare', 'router.initialize']);
  });

  it('lists every object that does not opt in, workloads and routing at once, and changes nothing', async () => {
    const { activities, calls } = activitiesWith({
      workloadProblems: [
        {
          object: 'team-a/Deployment/web-canary',
          reason: 'has no canary-engine.io/service label or annotation',
        },
      ],
      routerProblems: [
        { object: 'team-a/VirtualService/web', reason: 'opts in to service "shop", not "web"' },
      ],
    });
    const spec = testSpec({ service: 'web', namespace: 'team-a' });
    const failure = await refusal(activities.prepareRelease(spec));
    expect(failure.type).toBe('ObjectsNotOptedInError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      'the release of web may change only objects that opt in (label or annotation canary-engine.io/service: web) or that canary-engine created: team-a/Deployment/web-canary has no canary-engine.io/service label or annotation; team-a/VirtualService/web opts in to service "shop", not "web"',
    );
    expect(failure.details?.[0]).toEqual({
      kind: 'forbidden',
      object: 'team-a/Deployment/web-canary',
    });
    expect(calls).toEqual([]);
  });
});

describe('the opt-in rule', () => {
  const object = (metadata: Partial<KubeObject['metadata']>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', ...metadata },
  });

  it('admits an object labelled or annotated with the release’s service, or created by the engine', () => {
    expect(optsIn(object({ labels: { 'canary-engine.io/service': 'web' } }), 'web')).toBe(true);
    expect(optsIn(object({ annotations: { 'canary-engine.io/service': 'web' } }), 'web')).toBe(
      true,
    );
    expect(
      optsIn(object({ labels: { 'app.kubernetes.io/managed-by': 'canary-engine' } }), 'web'),
    ).toBe(true);
  });

  it('refuses an object without the label and one that opts in to another service', () => {
    expect(optsIn(object({ labels: { app: 'web' } }), 'web')).toBe(false);
    expect(optsIn(object({ labels: { 'canary-engine.io/service': 'shop' } }), 'web')).toBe(false);
  });
});

describe('four eyes', () => {
  const rules = { startedBy: 'ci-bot', distinctApprover: true };

  it('refuses an approval by the identity that started the release, naming the rule', () => {
    expect(policyProblem('approve', { actor: 'ci-bot' }, rules)).toBe(
      'policies.approval.distinctApprover: ci-bot started this release and may not approve it; another person must',
    );
  });

  it('accepts another approver, other actions by the starter, and any approval when the rule is off or the starter unknown', () => {
    expect(policyProblem('approve', { actor: 'alice' }, rules)).toBeNull();
    expect(policyProblem('abort', { actor: 'ci-bot', reason: 'x' }, rules)).toBeNull();
    expect(
      policyProblem('approve', { actor: 'ci-bot' }, { ...rules, distinctApprover: false }),
    ).toBeNull();
    expect(
      policyProblem(
        'approve',
        { actor: 'ci-bot' },
        { startedBy: undefined, distinctApprover: true },
      ),
    ).toBeNull();
  });
});
