/**
 * The pre-flight of Kubernetes workloads (KubernetesWorkloadManager.preflight): the stable
 * Deployment exists, opts in and carries `version: <stableVersion>` in its pod template when the
 * spec gives one; the canary Deployment CI applied exists, opts in and carries
 * `version: <canaryVersion>` (when the engine deploys the canary itself, spec.workloads.canary, it
 * may be absent); the worker may do what the release will do to them. DEPLOYMENT_ACCESS is the one
 * list of what the workload manager does in a cluster.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { PreflightProblem } from '../../core/preflight.js';
import type { ReleaseSpec } from '../../core/spec.js';
import { VERSION_LABEL } from '../../core/workloads/config.js';
import { accessRule, requirementsOf } from '../kube/access.js';
import { EVENT_ACCESS } from '../kube/events.js';
import { KINDS, objectRef, type KubeObject, type ObjectStore } from '../kube/objects.js';
import { objectProblems, type ClusterChecks } from '../kube/preflight-checks.js';
import type { KubernetesWorkloadsSpec } from './kubernetes.js';

/** What the workload manager does in a cluster (activities/kube/access.ts; deploy/rbac.yaml grants it). */
export const DEPLOYMENT_ACCESS = {
  /**
   * Rollout status of both; the stable's pod template replaced on promotion and restore; the
   * canary the engine deploys (workloads.canary) created, updated and deleted.
   */
  deployments: accessRule(KINDS.deployment, ['get', 'create', 'update', 'delete']),
  /** The canary scaled through the scale subresource. */
  scale: accessRule(KINDS.deployment, ['patch'], 'scale'),
  /** The stable's HorizontalPodAutoscaler, found among the namespace's, sizes the canary. */
  autoscalers: accessRule({ group: 'autoscaling', plural: 'horizontalpodautoscalers' }, ['list']),
  /** Events on the stable Deployment, one per phase change and decision (activities/kube/events.ts). */
  events: EVENT_ACCESS,
};

/** The version label's problem with a Deployment, for `release`'s `version`; undefined when right. */
function versionProblem(
  object: KubeObject,
  field: 'stableVersion' | 'canaryVersion',
  version: string,
  hint: string,
): string[] {
  const labels = (object as unknown as V1Deployment).spec?.template?.metadata?.labels ?? {};
  const found = labels[VERSION_LABEL];
  if (found === version) return [];
  const has =
    found === undefined ? `has no ${VERSION_LABEL} label` : `has ${VERSION_LABEL}: ${found}`;
  return [`its pod template ${has}, not the release's ${field} "${version}"; ${hint}`];
}

/** Every problem of the stable and canary Deployments of `release`; see the module comment. */
export async function workloadProblems(
  store: ObjectStore,
  checks: ClusterChecks | undefined,
  namespace: string,
  workloads: KubernetesWorkloadsSpec,
  release: ReleaseSpec,
): Promise<PreflightProblem[]> {
  const engineDeploysCanary = workloads.canary !== undefined;
  const stableName = workloads.stableDeployment;
  const canaryName = workloads.canaryDeployment;
  const stableVersion = release.stableVersion;
  const baselineHint = 'the metrics find the baseline by it';
  return [
    ...(await objectProblems(
      store,
      [
        {
          ref: objectRef(KINDS.deployment, namespace, stableName),
          mustExist: true,
          optIn: true,
          inspect: (stable) =>
            stableVersion === undefined
              ? []
              : versionProblem(stable, 'stableVersion', stableVersion, baselineHint),
        },
        {
          ref: objectRef(KINDS.deployment, namespace, canaryName),
          mustExist: !engineDeploysCanary,
          optIn: true,
          inspect: (canary) =>
            engineDeploysCanary
              ? []
              : versionProblem(
                  canary,
                  'canaryVersion',
                  release.canaryVersion,
                  'apply the canary Deployment with the new version in its pod labels (or give spec.workloads.canary and the engine deploys it)',
                ),
        },
      ],
      release.service,
    )),
    ...((await checks?.accessProblems([
      ...requirementsOf(DEPLOYMENT_ACCESS.deployments, namespace, stableName, ['get', 'update']),
      ...requirementsOf(
        DEPLOYMENT_ACCESS.deployments,
        namespace,
        canaryName,
        engineDeploysCanary ? ['get', 'create', 'update', 'delete'] : ['get'],
      ),
      ...requirementsOf(DEPLOYMENT_ACCESS.scale, namespace, canaryName),
      ...requirementsOf(DEPLOYMENT_ACCESS.autoscalers, namespace, stableName),
      ...requirementsOf(DEPLOYMENT_ACCESS.events, namespace, stableName),
    ])) ?? []),
  ];
}
