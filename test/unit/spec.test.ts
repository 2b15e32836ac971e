/**
 * Release spec validation: every problem is listed with its field path, nothing else is started,
 * and defaults fill everything but the service and the versions.
 */
import { describe, expect, it } from 'vitest';
import { canaryReplicasForWeight, planRelease, planSteps } from '../../core/plan.js';
import { releaseWorkflowId, validateReleaseSpec } from '../../core/spec.js';
import { formatDuration, parseDuration } from '../../core/duration.js';

const minimal = { service: 'reviews', stableVersion: 'v1', canaryVersion: 'v2' };

describe('validating a release spec', () => {
  it('fills every default from just the service and the two versions', () => {
    const result = validateReleaseSpec(minimal, () => 'generated-id');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.spec).toMatchObject({
      releaseId: 'generated-id',
      namespace: 'default',
      router: { type: 'istio', virtualService: 'reviews', destinations: { kind: 'subsets', host: 'reviews', stableSubset: 'stable', canarySubset: 'canary' } },
      workloads: { type: 'kubernetes', stableDeployment: 'reviews', canaryDeployment: 'reviews-canary', canaryReplicas: 1 },
      schedule: { stepWeight: 10, maxWeight: 50, observe: '5m' },
      analysis: { bucket: '1m' },
      policies: { inconclusive: { maxExtensions: 2, then: 'rollback' }, metricsUnavailable: 'inconclusive', approval: { timeout: '1h', onTimeout: 'rollback' }, promotion: { requireApproval: false } },
    });
  });

  it('lists every problem with its field path at once', () => {
    const result = validateReleaseSpec({
      service: 'Reviews!', stableVersion: 'v1', canaryVersion: 'v2', surprise: true,
      schedule: { steps: [{ weight: 150, observe: 'soon' }] },
      router: { type: 'linkerd' },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['service', 'schedule.steps[0].weight', 'schedule.steps[0].observe', 'router.type', '(root)']));
    expect(result.problems.find((p) => p.path === 'schedule.steps[0].observe')?.message).toBe('must be a duration such as "30s", "5m" or "1h30m"');
    expect(result.problems.find((p) => p.path === '(root)')?.message).toContain('surprise');
  });

  it('rejects a canary version equal to the stable one and weights that do not increase', () => {
    const result = validateReleaseSpec({ ...minimal, canaryVersion: 'v1', schedule: { steps: [{ weight: 50, observe: '1m' }, { weight: 20, observe: '1m' }] } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { path: 'canaryVersion', message: 'must differ from stableVersion "v1"' },
      { path: 'schedule.steps[1].weight', message: "must be greater than the previous step's weight 50" },
    ]);
  });

  it('rejects an observation window shorter than one analysis bucket', () => {
    const result = validateReleaseSpec({ ...minimal, schedule: { stepWeight: 20, maxWeight: 40, observe: '30s' } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toEqual([{ path: 'schedule.observe', message: 'must be at least one analysis bucket (1m)' }]);
  });

  it('rejects cohorts the chosen router cannot express', () => {
    const result = validateReleaseSpec({
      ...minimal,
      router: { type: 'nginx', ingress: 'reviews', stableService: 'reviews', canaryService: 'reviews-canary' },
      cohorts: [{ type: 'header', name: 'x-env', value: 'canary' }, { type: 'header', name: 'x-team', value: 'qa' }],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((p) => p.path)).toContain('cohorts[1]');
  });

  it('derives one workflow id per namespace and service', () => {
    expect(releaseWorkflowId('shop', 'reviews')).toBe('canary.shop.reviews');
    // "-" may appear in both parts, "." in neither: team-a/web and team/a-web stay apart
    expect(releaseWorkflowId('team-a', 'web')).not.toBe(releaseWorkflowId('team', 'a-web'));
  });
});

describe('planning a release', () => {
  it('expands stepWeight and maxWeight into steps and ends at maxWeight', () => {
    const steps = planSteps({ schedule: { stepWeight: 20, maxWeight: 50, observe: '2m', approval: false } });
    expect(steps.map((s) => s.weight)).toEqual([20, 40, 50]);
    expect(steps.every((s) => s.observeMs === 120_000)).toBe(true);
  });

  it('counts one look per step plus every allowed extension', () => {
    const result = validateReleaseSpec({ ...minimal, policies: { inconclusive: { maxExtensions: 3 } } });
    if (!result.ok) throw new Error('invalid');
    expect(planRelease(result.spec).plannedLooks).toBe(5 + 3);
  });

  it('scales the canary with its weight, never below the minimum nor above the maximum', () => {
    expect([0, 1, 10, 50, 100].map((w) => canaryReplicasForWeight(w, 10, 2))).toEqual([0, 2, 2, 5, 10]);
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
