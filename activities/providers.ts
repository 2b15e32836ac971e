/**
 * What the three provider factories (routers/factory.ts, workloads/factory.ts, metrics/factory.ts)
 * share: the one seam through which the local sandbox's providers reach the engine, and cluster
 * clients that are built only when a provider needs them.
 *
 * The sandbox's providers live in sandbox/, which the engine must not import: a worker that has
 * them passes a SandboxProviders object once (worker/providers.ts createProviders), and a worker
 * without them refuses sandbox specs with a non-retryable error naming the field.
 */
import type { z } from 'zod';
import type { sandboxRouterSchema } from '../core/routing/config.js';
import type { ReleaseSpec, SubmittedSpec } from '../core/spec.js';
import type { KubeClients } from './kube/kube-clients.js';
import type { TrafficRouter } from './routers/types.js';
import type { WorkloadManager } from './workloads/types.js';

export type SandboxRouterSpec = z.output<typeof sandboxRouterSchema>;
export type SandboxWorkloadsSpec = Extract<ReleaseSpec['workloads'], { type: 'sandbox' }>;

/** The local sandbox's router and workloads for a release (sandbox/providers.ts supplies them). */
export interface SandboxProviders {
  router(spec: SandboxRouterSpec, release: ReleaseSpec): TrafficRouter;
  /** `release` may lack stableVersion only where validation allows it (never for the sandbox). */
  workloads(spec: SandboxWorkloadsSpec, release: SubmittedSpec): WorkloadManager;
}

/** Why a sandbox spec cannot run on a worker without the sandbox's providers, for `field`. */
export function withoutSandbox(field: 'router.type' | 'workloads.type'): string {
  return `this worker was started without the sandbox providers (createProviders' sandbox option), so it cannot run a release whose ${field} is "sandbox"`;
}

/** Cluster clients, or a function that builds them on first use (a sandbox-only worker needs no cluster). */
export type KubeSource = KubeClients | (() => KubeClients);

export function kubeClientsOf(source: KubeSource): KubeClients {
  return typeof source === 'function' ? source() : source;
}
