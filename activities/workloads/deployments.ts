/**
 * The Deployments of one namespace, as the workload manager touches them: read (or find), scale
 * through the scale subresource (a merge patch of spec.replicas, so it never conflicts with
 * template changes), replace the pod template optimistically, and wait for a rollout
 * (rollout.ts) at the spec's deadline. Errors name the Deployment as `namespace/Deployment/name`.
 */
import {
  PatchStrategy,
  setHeaderOptions,
  type AppsV1Api,
  type V1Deployment,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import {
  describeRef,
  KINDS,
  ObjectStore,
  objectRef,
  toKubeError,
  type ObjectApi,
  type ObjectRef,
} from '../kube/objects.js';
import { WorkloadError } from './errors.js';
import { waitForRollout } from './rollout.js';
import type { ProgressReporter } from './types.js';

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

/** How long to wait for a rollout, and how often to look. */
export interface RolloutTiming {
  timeoutMs: number;
  /** The deadline as the spec wrote it, for messages. */
  timeoutText: string;
  pollMs: number;
}

export class Deployments {
  readonly store: ObjectStore;

  constructor(
    private readonly apps: AppsV1Api,
    readonly namespace: string,
    private readonly timing: RolloutTiming,
  ) {
    this.store = new ObjectStore(deploymentApi(apps));
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

  /** Waits for a Deployment's rollout (rollout.ts), at the spec's deadline. */
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
      ...this.timing,
    });
  }

  /** Optimistic read–modify–write of a Deployment's pod template (ObjectStore.update: retries on 409). */
  async updateTemplate(
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

  /** The Deployment; ObjectNotFoundError when it does not exist. */
  async read(name: string): Promise<V1Deployment> {
    return (await this.store.get(this.ref(name))) as unknown as V1Deployment;
  }

  /** The Deployment, or undefined when it does not exist. */
  async find(name: string): Promise<V1Deployment | undefined> {
    return (await this.store.find(this.ref(name))) as unknown as V1Deployment | undefined;
  }

  /** "namespace/Deployment/name" */
  describe(name: string): string {
    return describeRef(this.ref(name));
  }

  ref(name: string): ObjectRef {
    return objectRef(KINDS.deployment, this.namespace, name);
  }
}
