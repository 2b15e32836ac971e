/**
 * What stands in the way of a release, on the worker's side: the namespace allow-list, and every
 * provider's problems collected into one refusal before any change (activities/preflight.ts,
 * core/preflight.ts); the opt-in rule (activities/kube/opt-in.ts); and the four-eyes rule of the
 * workflow's approve handler.
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { optInProblem, optsIn } from '../../activities/kube/opt-in.js';
import { KINDS, objectRef, type KubeObject } from '../../activities/kube/objects.js';
import { ObjectNotFoundError } from '../../activities/kube/errors.js';
import { MetricsConfigError, MetricsUnavailableError } from '../../activities/metrics/errors.js';
import type { MetricsProvider } from '../../activities/metrics/types.js';
import { createActivities } from '../../activities/release-activities.js';
import type { TrafficRouter } from '../../activities/routers/types.js';
import type { WorkloadManager } from '../../activities/workloads/types.js';
import {
  PREFLIGHT_REFUSALS,
  preflightProblems,
  problemOf,
  type PreflightProblem,
} from '../../core/preflight.js';
import { policyProblem } from '../../workflows/handlers.js';
import { testSpec } from '../harness/release-spec.js';

type Check = () => Promise<PreflightProblem[]>;

function activitiesWith(options: {
  allowedNamespaces?: string[];
  router?: Check;
  workloads?: Check;
  metrics?: Check;
  metricsFor?: () => MetricsProvider;
}) {
  const calls: string[] = [];
  const none: Check = async () => [];
  const router: TrafficRouter = {
    target: 'fake/router',
    initialize: async () => void calls.push('router.initialize'),
    getWeights: async () => ({ stable: 100, canary: 0 }),
    setWeights: async (w) => w,
    finalize: async () => ({ stable: 100, canary: 0 }),
    preflight: async () => {
      calls.push('router.preflight');
      return (options.router ?? none)();
    },
  };
  const workloads: WorkloadManager = {
    prepareCanary: async () => void calls.push('workloads.prepare'),
    scaleForWeight: async () => undefined,
    promoteStable: async () => undefined,
    scaleDownCanary: async () => undefined,
    snapshotStable: async () => ({}),
    restoreStable: async () => undefined,
    preflight: async () => {
      calls.push('workloads.preflight');
      return (options.workloads ?? none)();
    },
  };
  const metrics: MetricsProvider = {
    name: 'fake metrics',
    fetchBuckets: async () => {
      throw new Error('no buckets in this test');
    },
    isOnline: async () => undefined,
    preflight: async () => {
      calls.push('metrics.preflight');
      return (options.metrics ?? none)();
    },
  };
  const activities = createActivities({
    routerFor: () => router,
    workloadsFor: () => workloads,
    metricsFor: options.metricsFor ?? (() => metrics),
    ...(options.allowedNamespaces ? { allowedNamespaces: options.allowedNamespaces } : {}),
  });
  const changes = () => calls.filter((c) => !c.endsWith('.preflight'));
  return { activities, calls, changes };
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
  it('refuses a namespace off the worker’s allow-list, non-retryable, naming it, before looking at anything', async () => {
    const { activities, calls } = activitiesWith({ allowedNamespaces: ['team-a', 'shop-*'] });
    const failure = await refusal(activities.prepareRelease(testSpec({ namespace: 'team-b' })));
    expect(failure.type).toBe('PreflightRejectedError');
    expect(PREFLIGHT_REFUSALS).toContain(failure.type);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(
      /^the pre-flight of \S+ found 1 problem, so the release changes nothing: namespace\/team-b: is not on this worker's allow-list \(CANARY_ALLOWED_NAMESPACES: team-a, shop-\*\)$/,
    );
    expect(failure.details?.[0]).toEqual({ kind: 'config', object: 'namespace/team-b' });
    expect(preflightProblems(failure.details)).toEqual([
      {
        object: 'namespace/team-b',
        message: "is not on this worker's allow-list (CANARY_ALLOWED_NAMESPACES: team-a, shop-*)",
      },
    ]);
    expect(calls).toEqual([]);
  });

  it('lets a namespace the allow-list matches by glob through, checks every provider, then prepares', async () => {
    const { activities, calls } = activitiesWith({ allowedNamespaces: ['team-a', 'shop-*'] });
    await activities.prepareRelease(testSpec({ namespace: 'shop-eu' }));
    expect([...calls].sort()).toEqual([
      'metrics.preflight',
      'router.initialize',
      'router.preflight',
      'workloads.preflight',
      'workloads.prepare',
    ]);
    expect(calls.slice(-2)).toEqual(['workloads.prepare', 'router.initialize']);
  });

  it('lists every problem of workloads, routing and metrics at once, in the failure’s message and details, and changes nothing', async () => {
    const { activities, changes } = activitiesWith({
      workloads: async () => [
        { object: 'team-a/Deployment/web-canary', message: 'does not exist' },
        {
          object: 'team-a/deployments/scale/web-canary',
          message: 'the worker may not patch deployments/scale (apps) here',
        },
      ],
      router: async () => [{ object: 'team-a/VirtualService/revews', message: 'does not exist' }],
      metrics: async () => [
        { object: 'fake metrics', message: 'has no data for the stable version v1' },
      ],
    });
    const spec = testSpec({ service: 'web', namespace: 'team-a' });
    const failure = await refusal(activities.prepareRelease(spec));
    expect(failure.type).toBe('PreflightRejectedError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      'the pre-flight of web found 4 problems, so the release changes nothing: ' +
        'team-a/Deployment/web-canary: does not exist; ' +
        'team-a/deployments/scale/web-canary: the worker may not patch deployments/scale (apps) here; ' +
        'team-a/VirtualService/revews: does not exist; ' +
        'fake metrics: has no data for the stable version v1',
    );
    expect(failure.details?.[0]).toEqual({
      kind: 'config',
      object: 'team-a/Deployment/web-canary',
    });
    expect(preflightProblems(failure.details)?.map((p) => p.object)).toEqual([
      'team-a/Deployment/web-canary',
      'team-a/deployments/scale/web-canary',
      'team-a/VirtualService/revews',
      'fake metrics',
    ]);
    // the details survive Temporal's payload conversion: plain JSON
    expect(JSON.parse(JSON.stringify(failure.details))).toEqual(failure.details);
    expect(changes()).toEqual([]);
  });

  it('turns a provider that cannot be built or checked (non-retryable) into a problem of the list', async () => {
    const { activities, changes } = activitiesWith({
      router: async () => {
        throw new ObjectNotFoundError('team-a/VirtualService/web');
      },
      metricsFor: () => {
        throw new MetricsConfigError(
          'analysis.metrics.source "eu" is not a metrics source of this worker',
        );
      },
    });
    const failure = await refusal(
      activities.prepareRelease(testSpec({ service: 'web', namespace: 'team-a' })),
    );
    expect(preflightProblems(failure.details)).toEqual([
      { object: 'team-a/VirtualService/web', message: 'not found' },
      {
        object: 'metrics',
        message: 'analysis.metrics.source "eu" is not a metrics source of this worker',
      },
    ]);
    expect(changes()).toEqual([]);
  });

  it('lets an error a retry may fix through as itself (retryable), not as a refusal', async () => {
    const { activities, changes } = activitiesWith({
      metrics: async () => {
        throw new MetricsUnavailableError('prometheus did not answer');
      },
    });
    const failure = await refusal(activities.prepareRelease(testSpec()));
    expect(failure.type).toBe('MetricsUnavailableError');
    expect(failure.nonRetryable).toBe(false);
    expect(changes()).toEqual([]);
  });

  it('reads no problems from the details of another failure', () => {
    expect(preflightProblems([{ kind: 'not-found' }])).toBeUndefined();
    expect(preflightProblems(undefined)).toBeUndefined();
    expect(problemOf(new Error('plain'), 'x')).toBeUndefined();
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

  it('names the object and says why it may not be changed', () => {
    const ref = objectRef(KINDS.deployment, 'team-a', 'web');
    expect(
      optInProblem(object({ labels: { 'canary-engine.io/service': 'shop' } }), ref, 'web'),
    ).toEqual({
      object: 'team-a/Deployment/web',
      message:
        'opts in to service "shop", not "web": the release of web may change only objects that opt in (label or annotation canary-engine.io/service: web) or that canary-engine created',
    });
    expect(
      optInProblem(object({ labels: { 'canary-engine.io/service': 'web' } }), ref, 'web'),
    ).toBeUndefined();
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
