/**
 * Which provider families can work together in one release. Each family is chosen by its own
 * `type`, but some pairs cannot run: the sandbox's workloads are versions its router switches, so
 * they need the sandbox router, and the sandbox router serves only its demo versions, so it cannot
 * send traffic to Kubernetes Deployments. Such a spec is refused at submission, naming the field,
 * instead of failing mid-release ("rollback failed"). Likewise what only Kubernetes workloads can
 * do: deploy the canary (`workloads.canary`) and read an omitted `stableVersion`.
 */
import { defaultRouterSpec, type RoutingProblem } from './routing/config.js';

/** The provider choices of a spec as submitted: a family left out takes its default later. */
export interface ProviderChoice {
  service: string;
  stableVersion?: string;
  router?: { type: string };
  workloads?: { type: string; canary?: unknown };
}

/**
 * Provider combinations that cannot run, at `workloads.type`, and what the sandbox's workloads
 * cannot do (deploy a canary, tell the stable version); [] when the choice is sound.
 */
export function providerProblems(spec: ProviderChoice): RoutingProblem[] {
  // absent workloads follow the router (core/spec.ts), so only a named workloads type can clash
  const router = (spec.router ?? defaultRouterSpec(spec.service)).type;
  const workloads = spec.workloads?.type;
  const sandboxWorkloads =
    workloads === 'sandbox' || (workloads === undefined && router === 'sandbox');
  const problems: RoutingProblem[] = [];
  if (sandboxWorkloads && spec.workloads?.canary !== undefined) {
    problems.push({
      path: 'workloads.canary',
      message:
        'the sandbox runs fixed demo versions, so the engine cannot deploy a canary there; leave workloads.canary out',
    });
  }
  if (sandboxWorkloads && spec.stableVersion === undefined) {
    problems.push({
      path: 'stableVersion',
      message:
        'is required (string) with the sandbox: it has no stable Deployment to read the version from',
    });
  }
  return [...problems, ...pairProblems(router, workloads)];
}

function pairProblems(router: string, workloads: string | undefined): RoutingProblem[] {
  if (workloads === 'sandbox' && router !== 'sandbox') {
    return [
      {
        path: 'workloads.type',
        message: `"sandbox" workloads are versions the sandbox router switches, so they need router type "sandbox", not "${router}"`,
      },
    ];
  }
  if (workloads !== undefined && workloads !== 'sandbox' && router === 'sandbox') {
    return [
      {
        path: 'workloads.type',
        message: `router type "sandbox" serves only the sandbox's demo versions, so it cannot send traffic to "${workloads}" workloads; use workloads type "sandbox" or leave workloads out`,
      },
    ];
  }
  return [];
}
