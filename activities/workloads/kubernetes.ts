/**
 * KubernetesWorkloadManager: the stable and canary Deployments of a release.
 *
 * - Scaling goes through the scale subresource (a merge patch of spec.replicas), so it needs only
 *   `deployments/scale` rights and never conflicts with template changes.
 * - Promotion gives the stable Deployment the canary's container images (or, with
 *   promotePodTemplate, the canary's whole pod template while keeping the stable's selector
 *   labels), written optimistically with the resourceVersion read.
 * - Waiting for a rollout follows `kubectl rollout status`: the controller has seen the latest
 *   generation and every replica is updated and available. Past the deadline (or when the
 *   Deployment reports ProgressDeadlineExceeded) it fails with a message saying how far it got.
 */
import {
  PatchStrategy,
  setHeaderOptions,
  type AppsV1Api,
  type V1Deployment,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import { canaryReplicasForWeight, readyTimeoutMs } from '../../core/plan.js';
import type { ReleaseSpec } from '../../core/spec.js';
import {
  describeRef,
  KINDS,
  ObjectStore,
  objectRef,
  toKubeError,
  type ObjectApi,
  type ObjectRef,
} from '../kube/objects.js';
import type { ClusterChecks } from '../kube/preflight-checks.js';
import type { PreflightProblem } from '../../core/preflight.js';
import { workloadProblems } from './kubernetes-preflight.js';
import { PromotionError, WorkloadError } from './errors.js';
import { waitForRollout } from './rollout.js';
import type { ProgressReporter, WorkloadManager } from './types.js';

export type KubernetesWorkloadsSpec = Extract<ReleaseSpec['workloads'], { type: 'kubernetes' }>;

/**
 * The stable Deployment before promotion, to undo it. It is stored in workflow history, so it holds
 * no more than promotion changes: the containers' images (promoting images), or the pod template
 * (with promotePodTemplate; keep secrets in Secrets, not in literal env values, as usual).
 */
export type StableSnapshot = { images: Record<string, string> } | { template: V1PodTemplateSpec };

/** Every container's and init container's image, by container name. */
function imagesOf(template: V1PodTemplateSpec | undefined): Record<string, string> {
  const images: Record<string, string> = {};
  for (const c of [
    ...(template?.spec?.containers ?? []),
    ...(template?.spec?.initContainers ?? []),
  ]) {
    if (c.image) images[c.name] = c.image;
  }
  return images;
}

export interface KubernetesWorkloadOptions {
  /** How often to poll a rollout. */
  pollMs?: number;
  /** Lets the pre-flight check access too (the factory gives it). */
  checks?: ClusterChecks;
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
  private readonly checks: ClusterChecks | undefined;

  constructor(
    private readonly apps: AppsV1Api,
    private readonly namespace: string,
    private readonly spec: KubernetesWorkloadsSpec,
    options: KubernetesWorkloadOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.checks = options.checks;
    this.store = new ObjectStore(deploymentApi(apps));
    this.readyTimeoutMs = readyTimeoutMs(spec);
  }

  /** The Deployments exist, opt in, carry the release's versions; see ./kubernetes-preflight.ts. */
  preflight(release: ReleaseSpec): Promise<PreflightProblem[]> {
    return workloadProblems(this.store, this.checks, this.namespace, this.spec, release);
  }

  async prepareCanary(progress: ProgressReporter): Promise<void> {
    const replicas = this.spec.scaleWithWeight ? this.spec.minReplicas : this.spec.canaryReplicas;
    await this.scale(this.spec.canaryDeployment, replicas);
    await this.waitForRollout(this.spec.canaryDeployment, progress, WorkloadError);
  }

  async scaleForWeight(weight: number, progress: ProgressReporter): Promise<void> {
    if (!this.spec.scaleWithWeight) return;
    const replicas = canaryReplicasForWeight(
      weight,
      this.spec.canaryReplicas,
      this.spec.minReplicas,
    );
    await this.scale(this.spec.canaryDeployment, replicas);
    await this.waitForRollout(this.spec.canaryDeployment, progress, WorkloadError);
  }

  async promoteStable(progress: ProgressReporter): Promise<void> {
    const canary = await this.read(this.spec.canaryDeployment);
    await this.updateTemplate(this.spec.stableDeployment, (stable) =>
      this.promotedTemplate(stable, canary),
    );
    await this.waitForRollout(this.spec.stableDeployment, progress, PromotionError);
  }

  async scaleDownCanary(_progress: ProgressReporter): Promise<void> {
    await this.scale(this.spec.canaryDeployment, 0);
  }

  /** What promotion will change on the stable Deployment, as it is now, for restoreStable. */
  async snapshotStable(): Promise<StableSnapshot> {
    const stable = await this.read(this.spec.stableDeployment);
    if (!this.spec.promotePodTemplate) return { images: imagesOf(stable.spec?.template) };
    return { template: structuredClone(stable.spec?.template ?? {}) };
  }

  /**
   * Puts a snapshot's pod template back on the stable Deployment and waits until it is rolled out.
   * The snapshot comes back from workflow history as plain JSON, so its shape is checked first.
   */
  async restoreStable(snapshot: unknown, progress: ProgressReporter): Promise<void> {
    const object = describeRef(this.ref(this.spec.stableDeployment));
    const images = (snapshot as { images?: unknown } | null)?.images;
    const template = (snapshot as { template?: V1PodTemplateSpec } | null)?.template;
    if (
      images &&
      typeof images === 'object' &&
      Object.values(images).every((v) => typeof v === 'string')
    ) {
      await this.updateTemplate(this.spec.stableDeployment, (current) => {
        const restored = structuredClone(current.spec?.template ?? {});
        for (const c of [
          ...(restored.spec?.containers ?? []),
          ...(restored.spec?.initContainers ?? []),
        ]) {
          const image = (images as Record<string, string>)[c.name];
          if (image !== undefined) c.image = image;
        }
        return restored;
      });
    } else if (template && typeof template === 'object' && template.spec) {
      await this.updateTemplate(this.spec.stableDeployment, () => structuredClone(template));
    } else {
      throw new WorkloadError(
        `cannot restore ${object}: the snapshot has neither images nor a pod template (${JSON.stringify(snapshot)?.slice(0, 200)})`,
        { kind: 'invalid-input', nonRetryable: true, object },
      );
    }
    await this.waitForRollout(this.spec.stableDeployment, progress, PromotionError);
  }

  /** Sets spec.replicas through the scale subresource. */
  async scale(name: string, replicas: number): Promise<void> {
    try {
      await this.apps.patchNamespacedDeploymentScale(
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

  private promotedTemplate(stable: V1Deployment, canary: V1Deployment): V1PodTemplateSpec {
    const stableTemplate = structuredClone(stable.spec?.template ?? {});
    const canaryTemplate = structuredClone(canary.spec?.template ?? {});
    if (this.spec.promotePodTemplate) {
      const stableSelector = stable.spec?.selector?.matchLabels ?? {};
      const canarySelector = canary.spec?.selector?.matchLabels ?? {};
      // The canary's own selector labels must not reach stable pods (its Service would select them).
      const labels = Object.fromEntries(
        Object.entries(canaryTemplate.metadata?.labels ?? {}).filter(
          ([key]) => !(key in canarySelector) || key in stableSelector,
        ),
      );
      return {
        ...canaryTemplate,
        metadata: { ...canaryTemplate.metadata, labels: { ...labels, ...stableSelector } },
      };
    }
    const images = imagesOf(canaryTemplate);
    let matched = 0;
    for (const c of [
      ...(stableTemplate.spec?.containers ?? []),
      ...(stableTemplate.spec?.initContainers ?? []),
    ]) {
      const image = images[c.name];
      if (image !== undefined) {
        c.image = image;
        matched += 1;
      }
    }
    if (matched === 0) {
      throw new WorkloadError(
        `${describeRef(this.ref(this.spec.stableDeployment))} has no container named like one of ${describeRef(this.ref(this.spec.canaryDeployment))} (${Object.keys(images).join(', ') || 'none'}), so there is no image to promote`,
        {
          kind: 'config',
          nonRetryable: true,
          object: describeRef(this.ref(this.spec.stableDeployment)),
        },
      );
    }
    return stableTemplate;
  }

  /** Optimistic read–modify–write of a Deployment's pod template (ObjectStore.update: retries on 409). */
  private async updateTemplate(
    name: string,
    next: (current: V1Deployment) => V1PodTemplateSpec,
  ): Promise<void> {
    await this.store.update(this.ref(name), (draft) => {
      const current = draft as unknown as V1Deployment;
      if (!current.spec)
        throw new WorkloadError(`${describeRef(this.ref(name))} has no spec`, {
          kind: 'config',
          nonRetryable: true,
          object: describeRef(this.ref(name)),
        });
      current.spec.template = next(current);
    });
  }

  private async read(name: string): Promise<V1Deployment> {
    return (await this.store.get(this.ref(name))) as unknown as V1Deployment;
  }

  private ref(name: string): ObjectRef {
    return objectRef(KINDS.deployment, this.namespace, name);
  }
}
