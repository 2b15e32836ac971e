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
import {
  PatchStrategy,
  setHeaderOptions,
  type AppsV1Api,
  type AutoscalingV2Api,
  type V1Deployment,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import { canaryReplicaFloor, canaryReplicasForWeight, readyTimeoutMs } from '../../core/plan.js';
import type { KubernetesWorkloads } from '../../core/workloads/config.js';
import { VERSION_LABEL } from '../../core/workloads/config.js';
import {
  describeRef,
  KINDS,
  ObjectStore,
  objectRef,
  toKubeError,
  type KubeObject,
  type ObjectApi,
  type ObjectRef,
} from '../kube/objects.js';
import { objectsNotOptedIn, ownedBy, ownerOf, type OptInProblem } from '../kube/opt-in.js';
import {
  buildCanaryDeployment,
  promotionProblems,
  updatedCanary,
  withCanaryChanges,
  type CanaryProblem,
} from './canary-deployment.js';
import {
  CanaryDeploymentError,
  PromotionError,
  StableVersionUnknownError,
  WorkloadError,
} from './errors.js';
import { promotedFromCanary, restoredTemplate, type StableSnapshot } from './promotion.js';
import { waitForRollout } from './rollout.js';
import { listAutoscalers, stableSize } from './sizing.js';
import type { PreflightProblem, ProgressReporter, WorkloadManager } from './types.js';

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
}

/**
 * ObjectStore's calls for Deployments, made through AppsV1Api. Reads come back as plain objects
 * (not V1Deployment instances), so ObjectStore.update can tell when a mutation changed nothing.
 */
function deploymentApi(apps: AppsV1Api): ObjectApi {
  return {
    getNamespacedCustomObject: async ({ name, namespace }) =>
      structuredClone({ ...(await apps.readNamespacedDeployment({ name, namespace })) }),
    createNamespacedCustomObject: ({ namespace, body }) =>
      apps.createNamespacedDeployment({ namespace, body: body as V1Deployment }),
    deleteNamespacedCustomObject: ({ name, namespace }) =>
      apps.deleteNamespacedDeployment({ name, namespace }),
    replaceNamespacedCustomObject: ({ name, namespace, body }) =>
      apps.replaceNamespacedDeployment({ name, namespace, body: body as V1Deployment }),
  };
}

export class KubernetesWorkloadManager implements WorkloadManager {
  private readonly pollMs: number;
  private readonly readyTimeoutMs: number;
  private readonly store: ObjectStore;
  private readonly namespace: string;

  constructor(
    private readonly clients: WorkloadClients,
    private readonly release: WorkloadRelease,
    private readonly spec: KubernetesWorkloadsSpec,
    options: KubernetesWorkloadOptions = {},
  ) {
    this.namespace = release.namespace;
    this.pollMs = options.pollMs ?? 1000;
    this.store = new ObjectStore(deploymentApi(clients.apps));
    this.readyTimeoutMs = readyTimeoutMs(spec);
  }

  /**
   * The stable and the canary Deployment, unless they opt in (activities/kube/opt-in.ts). A canary
   * the engine deploys must, if it exists, be one the engine created for this service.
   */
  async objectsNotOptedIn(service: string): Promise<OptInProblem[]> {
    const { stableDeployment, canaryDeployment } = this.spec;
    if (!this.spec.canary)
      return objectsNotOptedIn(
        this.store,
        [stableDeployment, canaryDeployment].map((n) => this.ref(n)),
        service,
      );
    const problems = await objectsNotOptedIn(this.store, [this.ref(stableDeployment)], service);
    const canary = await this.store.find(this.ref(canaryDeployment));
    if (canary && !ownedBy(canary, this.namespace, service))
      problems.push({ object: this.describe(canaryDeployment), reason: this.notOwned() });
    return problems;
  }

  /**
   * What would stop this release's workloads, found before any change: the canary cannot be built
   * from the stable (images, patch), a Deployment of the canary's name is not the engine's, a CI
   * canary's pods do not carry canaryVersion, or promotion could not relabel the stable's pods.
   */
  async preflight(): Promise<PreflightProblem[]> {
    const stableObject = this.describe(this.spec.stableDeployment);
    const stable = await this.find(this.spec.stableDeployment);
    if (!stable) return [{ object: stableObject, message: 'not found' }];
    const problems: CanaryProblem[] = [...promotionProblems(stable)];
    const canaryObject = this.describe(this.spec.canaryDeployment);
    const canary = await this.find(this.spec.canaryDeployment);
    const found: PreflightProblem[] = [];
    if (this.spec.canary) {
      problems.push(...this.canaryFrom(stable).problems);
      if (canary && !ownedBy(canary, this.namespace, this.release.service))
        found.push({ object: canaryObject, message: this.notOwned() });
    } else if (!canary) {
      found.push({ object: canaryObject, message: 'not found (CI applies it, or set workloads.canary)' });
    } else {
      const label = canary.spec?.template?.metadata?.labels?.[VERSION_LABEL];
      if (label !== this.release.canaryVersion)
        found.push({
          object: canaryObject,
          message: `its pods are labelled ${VERSION_LABEL}=${label ?? '(none)'}, not canaryVersion "${this.release.canaryVersion}"`,
        });
    }
    return [
      ...problems.map((p) => ({ object: stableObject, message: `${p.field}: ${p.message}` })),
      ...found,
    ];
  }

  /** The stable's version: its pod template's `version` label (for a spec without stableVersion). */
  async currentStableVersion(): Promise<string> {
    const object = this.describe(this.spec.stableDeployment);
    const stable = await this.read(this.spec.stableDeployment);
    const version = stable.spec?.template?.metadata?.labels?.[VERSION_LABEL];
    if (version === undefined || version === '')
      throw new StableVersionUnknownError(
        `${object} has no "${VERSION_LABEL}" label on its pod template, so the stable version is unknown: set stableVersion in the spec, or label the pods`,
        object,
      );
    if (version === this.release.canaryVersion)
      throw new StableVersionUnknownError(
        `${object} already runs ${VERSION_LABEL}=${version}, the canaryVersion of this release`,
        object,
      );
    return version;
  }

  async prepareCanary(progress: ProgressReporter): Promise<void> {
    if (this.spec.canary) await this.deployCanary();
    await this.scale(this.spec.canaryDeployment, canaryReplicaFloor(this.spec));
    await this.waitForRollout(this.spec.canaryDeployment, progress, WorkloadError);
  }

  /** Sizes the canary for a weight (its share of the stable's replicas) and waits until it is ready. */
  async scaleForWeight(weight: number, progress: ProgressReporter): Promise<void> {
    const stable = await this.read(this.spec.stableDeployment);
    const size = stableSize(stable, await listAutoscalers(this.clients.autoscaling, this.namespace));
    const replicas = canaryReplicasForWeight(weight, size.replicas, canaryReplicaFloor(this.spec));
    progress({ sizing: { weight, stableReplicas: size.replicas, from: size.from, replicas } });
    await this.scale(this.spec.canaryDeployment, replicas);
    await this.waitForRollout(this.spec.canaryDeployment, progress, WorkloadError);
  }

  async promoteStable(progress: ProgressReporter): Promise<void> {
    const stableObject = this.describe(this.spec.stableDeployment);
    const canary = this.spec.canary ? undefined : await this.read(this.spec.canaryDeployment);
    await this.updateTemplate(this.spec.stableDeployment, (stable) => {
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
          `${stableObject} has no container named like one of ${this.describe(this.spec.canaryDeployment)} (${images.join(', ') || 'none'}), so there is no image to promote`,
          { kind: 'config', nonRetryable: true, object: stableObject },
        );
      }
      throw new CanaryDeploymentError(
        `cannot promote to ${stableObject}: ${refused.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
        stableObject,
      );
    });
    await this.waitForRollout(this.spec.stableDeployment, progress, PromotionError);
  }

  /** At the release's end: deletes the engine's canary (onEnd "delete") or scales it to 0. Idempotent. */
  async scaleDownCanary(_progress: ProgressReporter): Promise<void> {
    if (!this.spec.canary) return this.scale(this.spec.canaryDeployment, 0);
    const canary = await this.find(this.spec.canaryDeployment);
    if (!canary || !ownedBy(canary, this.namespace, this.release.service)) return;
    if (this.spec.canary.onEnd === 'delete')
      await this.store.delete(this.ref(this.spec.canaryDeployment));
    else await this.scale(this.spec.canaryDeployment, 0);
  }

  /** The stable's whole pod template as it is now, for restoreStable (kept in workflow history). */
  async snapshotStable(): Promise<StableSnapshot> {
    const stable = await this.read(this.spec.stableDeployment);
    return { template: structuredClone(stable.spec?.template ?? {}) };
  }

  /**
   * Puts a snapshot's pod template back on the stable Deployment and waits until it is rolled out.
   * The snapshot comes back from workflow history as plain JSON: a whole template, or the images
   * of releases recorded before templates were kept.
   */
  async restoreStable(snapshot: unknown, progress: ProgressReporter): Promise<void> {
    const object = this.describe(this.spec.stableDeployment);
    await this.updateTemplate(this.spec.stableDeployment, (current) => {
      const template = restoredTemplate(current, snapshot);
      if (template) return template;
      throw new WorkloadError(
        `cannot restore ${object}: the snapshot has neither images nor a pod template (${JSON.stringify(snapshot)?.slice(0, 200)})`,
        { kind: 'invalid-input', nonRetryable: true, object },
      );
    });
    await this.waitForRollout(this.spec.stableDeployment, progress, PromotionError);
  }

  /** Sets spec.replicas through the scale subresource. */
  async scale(name: string, replicas: number): Promise<void> {
    try {
      await this.clients.apps.patchNamespacedDeploymentScale(
        { name, namespace: this.namespace, body: { spec: { replicas } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (error) {
      throw toKubeError(error, this.ref(name), 'scale');
    }
  }

  /** Waits for a Deployment's rollout (activities/workloads/rollout.ts), at this manager's deadline. */
  async waitForRollout(
    name: string,
    progress: ProgressReporter,
    Failure: typeof WorkloadError = WorkloadError,
  ): Promise<void> {
    await waitForRollout({
      ref: this.ref(name),
      read: () => this.read(name),
      progress,
      Failure,
      timeoutMs: this.readyTimeoutMs,
      timeoutText: this.spec.readyTimeout,
      pollMs: this.pollMs,
    });
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
    const stable = await this.read(this.spec.stableDeployment);
    const { deployment, problems } = this.canaryFrom(stable);
    const object = this.describe(this.spec.canaryDeployment);
    if (problems.length > 0)
      throw new CanaryDeploymentError(
        `cannot build ${object} from ${this.describe(this.spec.stableDeployment)}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
        object,
      );
    const ref = this.ref(this.spec.canaryDeployment);
    const existing = await this.find(this.spec.canaryDeployment);
    if (existing && !ownedBy(existing, this.namespace, this.release.service))
      throw new CanaryDeploymentError(`${object} ${this.notOwned()}`, object, 'forbidden');
    if (existing && updatedCanary(existing, deployment).recreate)
      await this.store.delete(ref);
    else if (existing) {
      await this.store.update(ref, (draft) => {
        const { deployment: next } = updatedCanary(draft as unknown as V1Deployment, deployment);
        Object.assign(draft, next);
      });
      return;
    }
    await this.store.create(ref, deployment as unknown as KubeObject);
  }

  private notOwned(): string {
    return `exists but was not created by canary-engine for ${ownerOf(this.namespace, this.release.service)} (annotation canary-engine.io/owned-by), so the engine will not change it; delete it or name another workloads.canaryDeployment`;
  }

  /** Optimistic read–modify–write of a Deployment's pod template (ObjectStore.update: retries on 409). */
  private async updateTemplate(
    name: string,
    next: (current: V1Deployment) => V1PodTemplateSpec,
  ): Promise<void> {
    await this.store.update(this.ref(name), (draft) => {
      const current = draft as unknown as V1Deployment;
      if (!current.spec)
        throw new WorkloadError(`${this.describe(name)} has no spec`, {
          kind: 'config',
          nonRetryable: true,
          object: this.describe(name),
        });
      current.spec.template = next(current);
    });
  }

  private async read(name: string): Promise<V1Deployment> {
    return (await this.store.get(this.ref(name))) as unknown as V1Deployment;
  }

  private async find(name: string): Promise<V1Deployment | undefined> {
    return (await this.store.find(this.ref(name))) as unknown as V1Deployment | undefined;
  }

  private describe(name: string): string {
    return describeRef(this.ref(name));
  }

  private ref(name: string): ObjectRef {
    return objectRef(KINDS.deployment, this.namespace, name);
  }
}
