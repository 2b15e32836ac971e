/**
 * Release spec validation: every problem is listed with its field path, nothing else is started,
 * and defaults fill everything but the service and the versions.
 */
import { describe, expect, it } from 'vitest';
import {
  canaryReplicaFloor,
  canaryReplicasForWeight,
  planRelease,
  planSteps,
} from '../../core/plan.js';
import { releaseWorkflowId, validateReleaseSpec } from '../../core/spec.js';
import { formatDuration, parseDuration } from '../../core/duration.js';

const minimal = { service: 'reviews', stableVersion: 'v1', canaryVersion: 'v2' };

describe('validating a release spec', () => {
  it('fills every default from just the service and the two versions', () => {
    const result = validateReleaseSpec(minimal, { newReleaseId: () => 'generated-id' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.spec).toMatchObject({
      releaseId: 'generated-id',
      namespace: 'default',
      router: {
        type: 'istio',
        virtualService: 'reviews',
        destinations: {
          kind: 'subsets',
          host: 'reviews',
          stableSubset: 'stable',
          canarySubset: 'canary',
        },
      },
      workloads: {
        type: 'kubernetes',
        stableDeployment: 'reviews',
        canaryDeployment: 'reviews-canary',
        canaryReplicas: 1,
      },
      schedule: { stepWeight: 10, maxWeight: 50, observe: '5m' },
      analysis: { bucket: '1m' },
      policies: {
        inconclusive: { maxExtensions: 2, then: 'rollback' },
        metricsUnavailable: 'inconclusive',
        approval: { timeout: '1h', onTimeout: 'rollback' },
        promotion: { requireApproval: false },
      },
    });
  });

  it('lists every problem with its field path at once', () => {
    const result = validateReleaseSpec({
      service: 'Reviews!',
      stableVersion: 'v1',
      canaryVersion: 'v2',
      surprise: true,
      schedule: { steps: [{ weight: 150, observe: 'soon' }] },
      router: { type: 'linkerd' },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.problems.map((p) => p.path);
    // an unknown field is a problem at its own path, as the API reports it (was "(root)" before core/problems.ts)
    expect(paths).toEqual(
      expect.arrayContaining([
        'service',
        'schedule.steps[0].weight',
        'schedule.steps[0].observe',
        'router.type',
        'surprise',
      ]),
    );
    expect(result.problems.find((p) => p.path === 'schedule.steps[0].observe')?.message).toBe(
      'must be a duration such as "30s", "5m" or "1h30m"',
    );
    expect(result.problems.find((p) => p.path === 'surprise')?.message).toBe(
      'is not a known field',
    );
  });

  it('rejects a canary version equal to the stable one and weights that do not increase', () => {
    const result = validateReleaseSpec({
      ...minimal,
      canaryVersion: 'v1',
      schedule: {
        steps: [
          { weight: 50, observe: '1m' },
          { weight: 20, observe: '1m' },
        ],
      },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { path: 'canaryVersion', message: 'must differ from stableVersion "v1"' },
      {
        path: 'schedule.steps[1].weight',
        message: "must be greater than the previous step's weight 50",
      },
    ]);
  });

  it('rejects an observation window shorter than one analysis bucket', () => {
    const result = validateReleaseSpec({
      ...minimal,
      schedule: { stepWeight: 20, maxWeight: 40, observe: '30s' },
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toEqual([
        { path: 'schedule.observe', message: 'must be at least one analysis bucket (1m)' },
      ]);
  });

  it('rejects a linear schedule whose maxWeight is below its stepWeight, and accepts them equal', () => {
    const result = validateReleaseSpec({
      ...minimal,
      schedule: { stepWeight: 30, maxWeight: 20, observe: '5m' },
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toEqual([
        { path: 'schedule.maxWeight', message: 'must be at least stepWeight 30' },
      ]);
    expect(
      validateReleaseSpec({
        ...minimal,
        schedule: { stepWeight: 30, maxWeight: 30, observe: '5m' },
      }).ok,
    ).toBe(true);
  });

  it('rejects an analysis bucket shorter than one second, and accepts one of exactly one second', () => {
    const result = validateReleaseSpec({ ...minimal, analysis: { bucket: '999ms' } });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toEqual([
        { path: 'analysis.bucket', message: 'must be at least 1s' },
      ]);
    expect(validateReleaseSpec({ ...minimal, analysis: { bucket: '1s' } }).ok).toBe(true);
  });

  it('rejects an explicit step whose own observation window is shorter than one bucket, and accepts one bucket exactly', () => {
    const steps = [
      { weight: 20, observe: '2m' },
      { weight: 40, observe: '59s' },
      { weight: 60, observe: '1m' },
    ];
    const result = validateReleaseSpec({ ...minimal, schedule: { steps } });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toEqual([
        { path: 'schedule.steps[1].observe', message: 'must be at least one analysis bucket (1m)' },
      ]);
    expect(validateReleaseSpec({ ...minimal, schedule: { steps: [steps[0], steps[2]] } }).ok).toBe(
      true,
    );
  });

  it('words a bad duration, DNS label or DNS name the same way in the schedule, the metrics and the router', () => {
    const result = validateReleaseSpec({
      ...minimal,
      schedule: { stepWeight: 10, maxWeight: 50, observe: 'soon' },
      analysis: {
        metrics: { timeout: 'soon', preset: 'nginx', nginx: { ingress: 'Bad_Ingress' } },
      },
      router: {
        type: 'istio',
        virtualService: 'Bad_Service',
        destinations: { kind: 'subsets', host: 'reviews', stableSubset: 'Stable' },
      },
      workloads: {
        type: 'kubernetes',
        stableDeployment: 'Reviews',
        canaryDeployment: 'reviews-canary',
      },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const message = (path: string) => result.problems.find((p) => p.path === path)?.message;
    const duration = 'must be a duration such as "30s", "5m" or "1h30m"';
    const dnsLabel = 'must be a DNS-1123 label (lowercase letters, digits and "-", at most 63)';
    const dnsName = 'must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")';
    expect({
      observe: message('schedule.observe'),
      timeout: message('analysis.metrics.timeout'),
      ingress: message('analysis.metrics.nginx.ingress'),
      virtualService: message('router.virtualService'),
      stableSubset: message('router.destinations.stableSubset'),
      stableDeployment: message('workloads.stableDeployment'),
    }).toEqual({
      observe: duration,
      timeout: duration,
      ingress: dnsName,
      virtualService: dnsName,
      stableSubset: dnsLabel,
      stableDeployment: dnsLabel,
    });
  });

  it('rejects cohorts the chosen router cannot express', () => {
    const result = validateReleaseSpec({
      ...minimal,
      router: {
        type: 'nginx',
        ingress: 'reviews',
        stableService: 'reviews',
        canaryService: 'reviews-canary',
      },
      cohorts: [
        { type: 'header', name: 'x-env', value: 'canary' },
        { type: 'header', name: 'x-team', value: 'qa' },
      ],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((p) => p.path)).toContain('cohorts[1]');
  });

  it('names the service as a problem, without throwing, when its default canary Deployment name would be too long', () => {
    const service = 'a'.repeat(60);
    const result = validateReleaseSpec({ ...minimal, service });
    expect(result).toEqual({
      ok: false,
      problems: [
        {
          path: 'service',
          message: expect.stringContaining(`"${service}-canary" (at most 63 characters)`),
        },
      ],
    });
    const named = validateReleaseSpec({
      ...minimal,
      service,
      workloads: {
        type: 'kubernetes',
        stableDeployment: service,
        canaryDeployment: 'short-canary',
      },
    });
    expect(named.ok).toBe(true);
  });

  it('derives one workflow id per namespace and service', () => {
    expect(releaseWorkflowId('shop', 'reviews')).toBe('canary.shop.reviews');
    // "-" may appear in both parts, "." in neither: team-a/web and team/a-web stay apart
    expect(releaseWorkflowId('team-a', 'web')).not.toBe(releaseWorkflowId('team', 'a-web'));
  });
});

describe('planning a release', () => {
  it('expands stepWeight and maxWeight into steps and ends at maxWeight', () => {
    const steps = planSteps({
      schedule: { stepWeight: 20, maxWeight: 50, observe: '2m', approval: false },
    });
    expect(steps.map((s) => s.weight)).toEqual([20, 40, 50]);
    expect(steps.every((s) => s.observeMs === 120_000)).toBe(true);
  });

  it('counts one look per step plus every allowed extension', () => {
    const result = validateReleaseSpec({
      ...minimal,
      policies: { inconclusive: { maxExtensions: 3 } },
    });
    if (!result.ok) throw new Error('invalid');
    expect(planRelease(result.spec).plannedLooks).toBe(5 + 3);
  });

  it("sizes the canary as its weight's share of the stable's replicas, rounded up, never below the floor", () => {
    expect([0, 1, 10, 50, 100].map((w) => canaryReplicasForWeight(w, 10, 2))).toEqual([
      0, 2, 2, 5, 10,
    ]);
    expect([5, 25, 33, 100].map((w) => canaryReplicasForWeight(w, 7, 1))).toEqual([1, 2, 3, 7]);
  });

  it('gives the canary as many replicas as stable at 100%, even above its floor and when stable is larger than any old cap', () => {
    expect(canaryReplicasForWeight(100, 40, 3)).toBe(40);
    expect(canaryReplicasForWeight(50, 0, 2)).toBe(2);
  });

  it('keeps canaryReplicas as a floor for specs without scaleWithWeight, and only minReplicas with it', () => {
    expect(canaryReplicaFloor({ minReplicas: 1, canaryReplicas: 4, scaleWithWeight: false })).toBe(
      4,
    );
    expect(canaryReplicaFloor({ minReplicas: 2, canaryReplicas: 10, scaleWithWeight: true })).toBe(
      2,
    );
    expect(canaryReplicaFloor({ minReplicas: 3, canaryReplicas: 1, scaleWithWeight: false })).toBe(
      3,
    );
  });
});

describe('durations', () => {
  it('parses compound durations and formats them back', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('5 minutes')).toBeUndefined();
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(1500)).toBe('1.5s');
  });
});
