/**
 * Picks the WorkloadManager for a release spec, like the router and metrics factories: an
 * exhaustive switch (a workloads type added to core/spec.ts without a case here fails to
 * compile), and a non-retryable error naming the type it cannot build, never a fallback.
 */
import type { ReleaseSpec } from '../../core/spec.js';
import {
  kubeClientsOf,
  withoutSandbox,
  type KubeSource,
  type SandboxProviders,
} from '../providers.js';
import { ClusterChecks } from '../kube/preflight-checks.js';
import { UnsupportedWorkloadsError } from './errors.js';
import { KubernetesWorkloadManager, type KubernetesWorkloadOptions } from './kubernetes.js';
import type { WorkloadManager } from './types.js';

export interface WorkloadFactoryOptions {
  /** The local sandbox's providers; without them a sandbox spec fails with a non-retryable UnsupportedWorkloadsError. */
  sandbox?: SandboxProviders;
  /** Options of the Kubernetes workloads (rollout polling). */
  kubernetes?: KubernetesWorkloadOptions;
}

/** The workloads of a release: one per call, cheap to build. `kube` is resolved only for Kubernetes workloads. */
export function createWorkloadManager(
  spec: ReleaseSpec,
  kube: KubeSource,
  options: WorkloadFactoryOptions = {},
): WorkloadManager {
  const workloads = spec.workloads;
  switch (workloads.type) {
    case 'kubernetes': {
      const clients = kubeClientsOf(kube);
      return new KubernetesWorkloadManager(clients.apps, spec.namespace, workloads, {
        ...options.kubernetes,
        checks: new ClusterChecks(clients),
      });
    }
    case 'sandbox':
      if (!options.sandbox)
        throw new UnsupportedWorkloadsError('sandbox', withoutSandbox('workloads.type'));
      return options.sandbox.workloads(workloads, spec);
    default: {
      const unknown: never = workloads;
      throw new UnsupportedWorkloadsError(
        String((unknown as { type?: unknown }).type),
        'no such workloads type',
      );
    }
  }
}
