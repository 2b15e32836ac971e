/**
 * KubernetesWorkloadManager: the stable and canary Deployments of a release.
 *
 * - With `workloads.canary` the engine deploys the canary: it creates (or updates) the canary
 *   Deployment from the stable one (canary-deployment.ts) and at the end deletes it or scales it
 *   to 0 (`onEnd`). Without it, CI applied the canary Deployment; the engine only scales it.
 * - Sizing (sizing.ts, core/plan.ts): the canary's share of the stable's replicas (or of its
 *   HorizontalPodAutoscaler's), never below the floor, awaited before traffic grows.
 * - Scaling goes through the scale subresource (a merge patch of spec.replicas), so it never
 *   conflicts with template changes.
 * - Promotion writes the whole identity to the stable's template: the canary's images, its
 *   `version` label and the pod-template patch (or, with promotePodTemplate, a CI canary's whole
 *   template), keeping the stable's selector; written optimistically, then awaited.
 * - Waiting for a rollout follows `kubectl rollout status` (rollout.ts).
 */
import type { AppsV1Api, AutoscalingV2Api, V1Deployment } from '@kubernetes/client-node';
import { canaryReplicaFloor, canaryReplicasForWeight, readyTimeoutMs } from '../../core/plan.js';
import { VERSION_LABEL, type KubernetesWorkloads } from '../../core/workloads/config.js';
import type { KubeObject } from '../kube/objects.js';
import { ownedBy, ownerOf } from '../kube/opt-in.js';
import {
  buildCanaryDeployment,
  promotionProblems,
  updatedCanary,
  withCanaryChanges,
  type CanaryProblem,
} from './canary-deployment.js';
import { Deployments } from './deployments.js';
import {
  CanaryDeploymentError,
  PromotionError,
  StableVersionUnknownError,
  WorkloadError,
} from './errors.js';
import { promotedFromCanary, restoredTemplate, type StableSnapshot } from './promotion.js';
import { listAutoscalers, stableSize } from './sizing.js';
import type { ProgressReporter, WorkloadManager } from './types.js';
import type { ClusterChecks } from '../kube/preflight-checks.js';
import type { PreflightProblem } from '../../core/preflight.js';
import type { ReleaseSpec } from '../../core/spec.js';
import { workloadProblems } from './kubernetes-preflight.js';

export type KubernetesWorkloadsSpec = KubernetesWorkloads;
export type { StableSnapshot } from './promotion.js';

/** The clients the manager uses: Deployments, and autoscalers for the stable's size. */
export interface WorkloadClients {
  apps: AppsV1Api;
  autoscaling: AutoscalingV2Api;
}

/** Who the release is: the canary's owner and version. */
export interface WorkloadRelease {
  namespace: string;
  service: string;
  canaryVersion: string;
}

export interface KubernetesWorkloadOptions {
  /** How often to poll a rollout. */
  pollMs?: number;
  /** Lets the pre-flight check access too (the factory gives it). */
  checks?: ClusterChecks;
}

export class KubernetesWorkloadManager implements WorkloadManager {
  private readonly namespace: string;
  /** The namespace's Deployments: read, scale, template writes, rollout waits. */
  readonly deployments: Deployments;
  private readonly checks: ClusterChecks | undefined;

  constructor(
    private readonly clients: WorkloadClients,
    private readonly release: WorkloadRelease,
    private readonly spec: KubernetesWorkloadsSpec,
    options: KubernetesWorkloadOptions = {},
  ) {
    this.namespace = release.namespace;
    this.deployments = new Deployments(clients.apps, release.namespace, {
      timeoutMs: readyTimeoutMs(spec),
      timeoutText: spec.readyTimeout,
      pollMs: options.pollMs ?? 1000,
    });
    this.checks = options.checks;
  }

  /**
   * What would stop this release's workloads, found before any change: the Deployments exist, opt
   * in, carry the release's versions and the worker may act on them (./kubernetes-preflight.ts);
   * and, from the live stable, whether promotion can relabel its pods and the canary the engine
   * deploys can be built (images, patch), and that a Deployment of its name is the engine's own.
   */
  async preflight(release: ReleaseSpec): Promise<PreflightProblem[]> {
    const problems = await workloadProblems(
      this.deployments.store,
      this.checks,
      this.namespace,
      this.spec,
      release,
    );
    const stable = await this.deployments.find(this.spec.stableDeployment);
    if (!stable) return problems; // reported by workloadProblems
    const found: CanaryProblem[] = [...promotionProblems(stable)];
    const owned: PreflightProblem[] = [];
    if (this.spec.canary) {
      found.push(...this.canaryFrom(stable).problems);
      const canary = await this.deployments.find(this.spec.canaryDeployment);
      if (canary && !ownedBy(canary, this.namespace, this.release.service))
        owned.push({
          object: this.deployments.describe(this.spec.canaryDeployment),
          message: this.notOwned(),
        });
    }
    const stableObject = this.deployments.describe(this.spec.stableDeployment);
    return [
      ...problems,
      ...found.map((p) => ({ object: stableObject, message: `${p.field}: ${p.message}` })),
      ...owned,
    ];
  }

  /** The stable's version: its pod template's `version` label (for a spec without stableVersion). */
  async currentStableVersion(): Promise<string> {
    const object = this.deployments.describe(this.spec.stableDeployment);
    const stable = await this.deployments.read(this.spec.stableDeployment);
    const version = stable.spec?.template?.metadata?.labels?.[VERSION_LABEL];
    if (version === undefined || version === '')
      throw new StableVersionUnknownError({
        object,
        message: `has no "${VERSION_LABEL}" label on its pod template, so the stable version is unknown: set stableVersion in the spec, or label the pods`,
      });
    if (version === this.release.canaryVersion)
      throw new StableVersionUnknownError({
        object,
        message: `already runs ${VERSION_LABEL}=${version}, the canaryVersion of this release`,
      });
    return version;
  }

  async prepareCanary(progress: ProgressReporter): Promise<void> {
    if (this.spec.canary) await this.deployCanary();
    await this.deployments.scale(this.spec.canaryDeployment, canaryReplicaFloor(this.spec));
    await this.deployments.waitForRollout(this.spec.canaryDeployment, progress, WorkloadError);
  }

  /** Sizes the canary for a weight (its share of the stable's replicas) and waits until it is ready. */
  async scaleForWeight(weight: number, progress: ProgressReporter): Promise<void> {
    const stable = await this.deployments.read(this.spec.stableDeployment);
    const size = stableSize(
      stable,
      await listAutoscalers(this.clients.autoscaling, this.namespace),
    );
    const replicas = canaryReplicasForWeight(weight, size.replicas, canaryReplicaFloor(this.spec));
    progress({ sizing: { weight, stableReplicas: size.replicas, from: size.from, replicas } });
    await this.deployments.scale(this.spec.canaryDeployment, replicas);
    await this.deployments.waitForRollout(this.spec.canaryDeployment, progress, WorkloadError);
  }

  async promoteStable(progress: ProgressReporter): Promise<void> {
    const stableObject = this.deployments.describe(this.spec.stableDeployment);
    const canary = this.spec.canary
      ? undefined
      : await this.deployments.read(this.spec.canaryDeployment);
    await this.deployments.updateTemplate(this.spec.stableDeployment, (stable) => {
      const refused = promotionProblems(stable);
      if (this.spec.canary) {
        const { template, problems } = withCanaryChanges(
          stable,
          this.spec.canary,
          this.release.canaryVersion,
        );
        refused.push(...problems);
        if (refused.length === 0) return template;
      } else if (refused.length === 0) {
        const template = promotedFromCanary(
          stable,
          canary as V1Deployment,
          this.release.canaryVersion,
          this.spec.promotePodTemplate,
        );
        if (template) return template;
        const images = Object.keys(canary?.spec?.template?.spec?.containers ?? {});
        throw new WorkloadError(
          `${stableObject} has no container named like one of ${this.deployments.describe(this.spec.canaryDeployment)} (${images.join(', ') || 'none'}), so there is no image to promote`,
          { kind: 'config', nonRetryable: true, object: stableObject },
        );
      }
      throw new CanaryDeploymentError(
        `cannot promote to ${stableObject}: ${refused.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
        stableObject,
      );
    });
    await this.deployments.waitForRollout(this.spec.stableDeployment, progress, PromotionError);
  }

  /** At the release's end: deletes the engine's canary (onEnd "delete") or scales it to 0. Idempotent. */
  async scaleDownCanary(_progress: ProgressReporter): Promise<void> {
    if (!this.spec.canary) return this.deployments.scale(this.spec.canaryDeployment, 0);
    const canary = await this.deployments.find(this.spec.canaryDeployment);
    if (!canary || !ownedBy(canary, this.namespace, this.release.service)) return;
    if (this.spec.canary.onEnd === 'delete')
      await this.deployments.store.delete(this.deployments.ref(this.spec.canaryDeployment));
    else await this.deployments.scale(this.spec.canaryDeployment, 0);
  }

  /** The stable's whole pod template as it is now, for restoreStable (kept in workflow history). */
  async snapshotStable(): Promise<StableSnapshot> {
    const stable = await this.deployments.read(this.spec.stableDeployment);
    return { template: structuredClone(stable.spec?.template ?? {}) };
  }

  /**
   * Puts a snapshot's pod template back on the stable Deployment and waits until it is rolled out.
   * The snapshot comes back from workflow history as plain JSON: a whole template, or the images
   * of releases recorded before templates were kept.
   */
  async restoreStable(snapshot: unknown, progress: ProgressReporter): Promise<void> {
    const object = this.deployments.describe(this.spec.stableDeployment);
    await this.deployments.updateTemplate(this.spec.stableDeployment, (current) => {
      const template = restoredTemplate(current, snapshot);
      if (template) return template;
      throw new WorkloadError(
        `cannot restore ${object}: the snapshot has neither images nor a pod template (${JSON.stringify(snapshot)?.slice(0, 200)})`,
        { kind: 'invalid-input', nonRetryable: true, object },
      );
    });
    await this.deployments.waitForRollout(this.spec.stableDeployment, progress, PromotionError);
  }

  /** Sets a Deployment's spec.replicas (the scale subresource). */
  scale(name: string, replicas: number): Promise<void> {
    return this.deployments.scale(name, replicas);
  }

  /** Waits for a Deployment's rollout at this release's deadline. */
  waitForRollout(
    name: string,
    progress: ProgressReporter,
    Failure: typeof WorkloadError = WorkloadError,
  ): Promise<void> {
    return this.deployments.waitForRollout(name, progress, Failure);
  }

  /** The canary Deployment this release wants, from the stable one. */
  private canaryFrom(stable: V1Deployment) {
    return buildCanaryDeployment(stable, {
      ...this.release,
      canaryDeployment: this.spec.canaryDeployment,
      canary: this.spec.canary ?? {},
    });
  }

  /**
   * Creates the canary Deployment from the stable one, or brings the engine's existing one up to
   * date (recreated when its selector must change); refuses a Deployment the engine did not create.
   */
  private async deployCanary(): Promise<void> {
    const stable = await this.deployments.read(this.spec.stableDeployment);
    const { deployment, problems } = this.canaryFrom(stable);
    const object = this.deployments.describe(this.spec.canaryDeployment);
    if (problems.length > 0)
      throw new CanaryDeploymentError(
        `cannot build ${object} from ${this.deployments.describe(this.spec.stableDeployment)}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
        object,
      );
    const ref = this.deployments.ref(this.spec.canaryDeployment);
    const existing = await this.deployments.find(this.spec.canaryDeployment);
    if (existing && !ownedBy(existing, this.namespace, this.release.service))
      throw new CanaryDeploymentError(`${object} ${this.notOwned()}`, object, 'forbidden');
    if (existing && updatedCanary(existing, deployment).recreate)
      await this.deployments.store.delete(ref);
    else if (existing) {
      await this.deployments.store.update(ref, (draft) => {
        const { deployment: next } = updatedCanary(draft as unknown as V1Deployment, deployment);
        Object.assign(draft, next);
      });
      return;
    }
    await this.deployments.store.create(ref, deployment as unknown as KubeObject);
  }

  private notOwned(): string {
    return `exists but was not created by canary-engine for ${ownerOf(this.namespace, this.release.service)} (annotation canary-engine.io/owned-by), so the engine will not change it; delete it or name another workloads.canaryDeployment`;
  }
}
