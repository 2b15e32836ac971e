/**
 * Building workload managers: the factory's choice per workloads type, like the router factory's,
 * with the sandbox's only through the sandbox providers, and Kubernetes clients only when needed.
 */
import { describe, expect, it } from 'vitest';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import type { SandboxProviders } from '../../activities/providers.js';
import { createWorkloadManager } from '../../activities/workloads/factory.js';
import { KubernetesWorkloadManager } from '../../activities/workloads/kubernetes.js';
import type { WorkloadManager } from '../../activities/workloads/types.js';
import { validateReleaseSpec, type ReleaseSpec } from '../../core/spec.js';
import { withStableVersion } from '../harness/release-spec.js';

function spec(input: Record<string, unknown>): ReleaseSpec {
  const result = validateReleaseSpec({
    service: 'web',
    stableVersion: 'v1',
    canaryVersion: 'v2',
    ...input,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return withStableVersion(result.spec);
}

const clients = { apps: {} } as unknown as KubeClients;

describe('createWorkloadManager', () => {
  it('builds Kubernetes workloads for the default Deployments', () => {
    expect(createWorkloadManager(spec({}), clients)).toBeInstanceOf(KubernetesWorkloadManager);
  });

  it('hands sandbox workloads to the sandbox providers without building Kubernetes clients', () => {
    const managed = {} as WorkloadManager;
    const seen: unknown[] = [];
    const sandbox: SandboxProviders = {
      router: () => {
        throw new Error('the router was not expected here');
      },
      workloads: (workloads, release) => (seen.push([workloads, release.service]), managed),
    };
    let created = 0;
    const lazy = () => {
      created += 1;
      return clients;
    };
    expect(createWorkloadManager(spec({ router: { type: 'sandbox' } }), lazy, { sandbox })).toBe(
      managed,
    );
    expect(seen).toEqual([[{ type: 'sandbox' }, 'web']]);
    expect(created).toBe(0);
  });

  it('refuses a workloads type it cannot build with a non-retryable error naming the type', () => {
    const unknown = { ...spec({}), workloads: { type: 'nomad' } } as unknown as ReleaseSpec;
    expect(() => createWorkloadManager(unknown, clients)).toThrow(
      expect.objectContaining({
        name: 'UnsupportedWorkloadsError',
        nonRetryable: true,
        message: 'workloads type "nomad" is not available: no such workloads type',
      }),
    );
  });
});
