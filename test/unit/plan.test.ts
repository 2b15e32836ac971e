/**
 * The plan (core/plan.ts) holds every duration the engine runs on, in milliseconds, and a duration
 * that is not one fails naming its field instead of falling back to a default.
 */
import { describe, expect, it } from 'vitest';
import { DurationError, durationMs } from '../../core/duration.js';
import { analysisBucketMs, planRelease, readyTimeoutMs } from '../../core/plan.js';
import type { ReleaseSpec } from '../../core/spec.js';
import { testSpec } from '../harness/release-spec.js';

describe('the durations of a release plan', () => {
  it("holds the bucket, the approval timeout, the extension length and the workloads' ready timeout in milliseconds", () => {
    const spec = testSpec({
      router: {
        type: 'istio',
        virtualService: 'web',
        destinations: { kind: 'subsets', host: 'web' },
      },
      workloads: {
        type: 'kubernetes',
        stableDeployment: 'web',
        canaryDeployment: 'web-canary',
        readyTimeout: '2m',
      },
      policies: {
        inconclusive: { maxExtensions: 1, extendBy: '30s' },
        approval: { timeout: '1h30m' },
      },
    });
    expect(planRelease(spec)).toMatchObject({
      bucketMs: 1_000,
      approvalTimeoutMs: 5_400_000,
      extendByMs: 30_000,
      readyTimeoutMs: 120_000,
    });
  });

  it('has no ready timeout for workloads that need no waiting (the sandbox)', () => {
    expect(planRelease(testSpec({ workloads: { type: 'sandbox' } })).readyTimeoutMs).toBe(0);
  });

  it('refuses a ready timeout that is not a duration, naming the field, instead of waiting 5 minutes', () => {
    const spec = testSpec({
      router: {
        type: 'istio',
        virtualService: 'web',
        destinations: { kind: 'subsets', host: 'web' },
      },
      workloads: { type: 'kubernetes', stableDeployment: 'web', canaryDeployment: 'web-canary' },
    });
    const broken = {
      ...spec,
      workloads: { ...spec.workloads, readyTimeout: 'soon' },
    } as ReleaseSpec;
    expect(() => planRelease(broken)).toThrow('workloads.readyTimeout "soon" is not a duration');
    expect(() => readyTimeoutMs(broken.workloads)).toThrow(DurationError);
  });

  it('refuses a bucket that is not a duration, naming the field, instead of assuming one minute', () => {
    const spec = testSpec();
    expect(() => analysisBucketMs({ analysis: { ...spec.analysis, bucket: 'a while' } })).toThrow(
      'analysis.bucket "a while" is not a duration',
    );
  });

  it('marks such an error as one retrying cannot fix', () => {
    expect(() => durationMs('x', 'schedule.observe')).toThrow(
      expect.objectContaining({
        name: 'DurationError',
        field: 'schedule.observe',
        nonRetryable: true,
      }),
    );
  });
});
