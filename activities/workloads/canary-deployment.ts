/**
 * The canary Deployment the engine deploys from the stable one (`workloads.canary`), and the
 * stable's pod template after promotion. Pure: the manager (kubernetes.ts) reads and writes.
 *
 * The canary is the stable's pod template with the spec's images and pod-template patch, its
 * `version` label set to canaryVersion and the label `canary-engine.io/arm: canary`. Its selector
 * is the stable's matchLabels with those two labels set (overriding the stable's values, if it has
 * them), so the two Deployments never select each other's pods and the stable's Services select
 * canary pods only through labels both share (docs/routers.md: tell the arms apart by `version` or
 * `canary-engine.io/arm`). It carries the opt-in label and the ownership annotation
 * (activities/kube/opt-in.ts) and starts at 0 replicas; sizing scales it.
 *
 * Promotion applies the same images, patch and version label to the stable's own template, never
 * the arm label, and never changes the stable's selector.
 */
import type { V1Deployment, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { CanarySpec } from '../../core/workloads/canary.js';
import { VERSION_LABEL } from '../../core/workloads/config.js';
import { OWNED_BY_ANNOTATION, ownerOf, SERVICE_OPT_IN_KEY } from '../kube/opt-in.js';

/** The pod and selector label that tells the canary's pods from the stable's. */
export const ARM_LABEL = 'canary-engine.io/arm';
export const CANARY_ARM = 'canary';

/** What the engine needs to know to build the canary of one release. */
export interface CanaryIdentity {
  namespace: string;
  service: string;
  canaryDeployment: string;
  canaryVersion: string;
  canary: Pick<CanarySpec, 'images' | 'podTemplatePatch'>;
}

/** One thing that keeps the canary from being built or promoted, naming the spec field. */
export interface CanaryProblem {
  /** The spec field at fault, e.g. `workloads.canary.images.app`. */
  field: string;
  message: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** RFC 7386 JSON merge patch: objects merge key by key, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * The stable's pod template with the canary's changes (images, patch, version label): what the
 * canary runs (plus its arm label) and what promotion gives the stable. Problems name the spec field.
 */
export function withCanaryChanges(
  stable: V1Deployment,
  canary: CanaryIdentity['canary'],
  canaryVersion: string,
): { template: V1PodTemplateSpec; problems: CanaryProblem[] } {
  const problems: CanaryProblem[] = [];
  const template = structuredClone(stable.spec?.template ?? {}) as V1PodTemplateSpec;
  const containers = [
    ...(template.spec?.containers ?? []),
    ...(template.spec?.initContainers ?? []),
  ];
  for (const [name, image] of Object.entries(canary.images ?? {})) {
    const container = containers.find((c) => c.name === name);
    if (container) container.image = image;
    else
      problems.push({
        field: `workloads.canary.images.${name}`,
        message: `the stable Deployment has no container "${name}" (it has ${containers.map((c) => `"${c.name}"`).join(', ') || 'none'})`,
      });
  }
  const patched = (
    canary.podTemplatePatch ? mergePatch(template, canary.podTemplatePatch) : template
  ) as V1PodTemplateSpec;
  const selector = stable.spec?.selector?.matchLabels ?? {};
  const labels = patched.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(selector)) {
    if (key !== VERSION_LABEL && labels[key] !== value)
      problems.push({
        field: `workloads.canary.podTemplatePatch.metadata.labels.${key}`,
        message: `may not change "${key}", a label of the stable Deployment's selector (${key}=${value})`,
      });
  }
  patched.metadata = { ...patched.metadata, labels: { ...labels, [VERSION_LABEL]: canaryVersion } };
  return { template: patched, problems };
}

/**
 * Why promotion could not give the stable's pods the canary's version label: the stable's
 * selector holds it, and a selector never changes (the next release would find no baseline).
 */
export function promotionProblems(stable: V1Deployment): CanaryProblem[] {
  const selected = stable.spec?.selector?.matchLabels?.[VERSION_LABEL];
  if (selected === undefined) return [];
  return [
    {
      field: 'workloads.stableDeployment',
      message: `its selector includes the label "${VERSION_LABEL}" (${VERSION_LABEL}=${selected}), so promotion cannot give its pods the canary's version and the next release would find no baseline; select the stable's pods by other labels`,
    },
  ];
}

/** The canary Deployment for a release, built from the stable one, at 0 replicas. */
export function buildCanaryDeployment(
  stable: V1Deployment,
  identity: CanaryIdentity,
): { deployment: V1Deployment; problems: CanaryProblem[] } {
  const { template, problems } = withCanaryChanges(stable, identity.canary, identity.canaryVersion);
  const arm = { [VERSION_LABEL]: identity.canaryVersion, [ARM_LABEL]: CANARY_ARM };
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, ...arm } };
  const selector = stable.spec?.selector ?? {};
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: identity.canaryDeployment,
      namespace: identity.namespace,
      labels: {
        ...stable.metadata?.labels,
        [SERVICE_OPT_IN_KEY]: identity.service,
        [ARM_LABEL]: CANARY_ARM,
      },
      annotations: { [OWNED_BY_ANNOTATION]: ownerOf(identity.namespace, identity.service) },
    },
    spec: {
      replicas: 0,
      selector: { ...selector, matchLabels: { ...selector.matchLabels, ...arm } },
      template,
      ...(stable.spec?.strategy ? { strategy: structuredClone(stable.spec.strategy) } : {}),
      ...(stable.spec?.minReadySeconds !== undefined
        ? { minReadySeconds: stable.spec.minReadySeconds }
        : {}),
      ...(stable.spec?.progressDeadlineSeconds !== undefined
        ? { progressDeadlineSeconds: stable.spec.progressDeadlineSeconds }
        : {}),
    },
  };
  return { deployment, problems };
}

/**
 * An existing canary Deployment brought to the wanted one, keeping its replicas (sizing owns
 * them) and whatever the API server added. The selector of a Deployment is immutable: a canary
 * whose selector differs must be deleted and created again (`recreate`).
 */
export function updatedCanary(
  existing: V1Deployment,
  wanted: V1Deployment,
): { deployment: V1Deployment; recreate: boolean } {
  const recreate =
    JSON.stringify(existing.spec?.selector ?? {}) !== JSON.stringify(wanted.spec?.selector ?? {});
  const deployment = structuredClone(existing);
  deployment.metadata = {
    ...deployment.metadata,
    labels: { ...deployment.metadata?.labels, ...wanted.metadata?.labels },
    annotations: { ...deployment.metadata?.annotations, ...wanted.metadata?.annotations },
  };
  deployment.spec = {
    ...(wanted.spec as NonNullable<V1Deployment['spec']>),
    replicas: existing.spec?.replicas ?? 0,
  };
  return { deployment, recreate };
}
