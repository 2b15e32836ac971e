/**
 * Provider combinations that cannot run together are refused when the spec is submitted, with the
 * field path, instead of starting a release that can only fail (it used to end "rollback failed").
 */
import { describe, expect, it } from 'vitest';
import { validateReleaseSpec } from '../../core/spec.js';

const minimal = { service: 'reviews', stableVersion: 'v1', canaryVersion: 'v2' };
const problemsOf = (input: Record<string, unknown>) => {
  const result = validateReleaseSpec({ ...minimal, ...input });
  return result.ok ? [] : result.problems;
};

describe('choosing providers that work together', () => {
  it('refuses sandbox workloads behind the default (Istio) router at workloads.type', () => {
    expect(problemsOf({ workloads: { type: 'sandbox' } })).toEqual([
      {
        path: 'workloads.type',
        message:
          '"sandbox" workloads are versions the sandbox router switches, so they need router type "sandbox", not "istio"',
      },
    ]);
  });

  it('refuses sandbox workloads behind a named Kubernetes router at workloads.type', () => {
    const router = {
      type: 'nginx',
      ingress: 'reviews',
      stableService: 'reviews',
      canaryService: 'reviews-canary',
    };
    expect(problemsOf({ router, workloads: { type: 'sandbox' } }).map((p) => p.path)).toEqual([
      'workloads.type',
    ]);
  });

  it('refuses Kubernetes workloads behind the sandbox router at workloads.type', () => {
    expect(
      problemsOf({
        router: { type: 'sandbox' },
        workloads: {
          type: 'kubernetes',
          stableDeployment: 'reviews',
          canaryDeployment: 'reviews-canary',
        },
      }),
    ).toEqual([
      {
        path: 'workloads.type',
        message:
          'router type "sandbox" serves only the sandbox\'s demo versions, so it cannot send traffic to "kubernetes" workloads; use workloads type "sandbox" or leave workloads out',
      },
    ]);
  });

  it('accepts each router with the workloads it can drive, named or by default', () => {
    for (const input of [
      {},
      {
        workloads: {
          type: 'kubernetes',
          stableDeployment: 'reviews',
          canaryDeployment: 'reviews-canary',
        },
      },
      { router: { type: 'sandbox' } },
      { router: { type: 'sandbox' }, workloads: { type: 'sandbox' } },
    ]) {
      expect({ input, problems: problemsOf(input) }).toEqual({ input, problems: [] });
    }
  });
});
