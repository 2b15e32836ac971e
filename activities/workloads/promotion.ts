/**
 * The stable's pod template at promotion and at undo, pure: what promotion writes when CI applied
 * the canary Deployment itself (its images, or with promotePodTemplate its whole template), always
 * with the canary's `version` label so the next release finds its baseline; and what a snapshot
 * taken before promotion puts back (a whole template, or the `{images}` of older histories).
 */
import type { V1Deployment, V1PodTemplateSpec } from '@kubernetes/client-node';
import { VERSION_LABEL } from '../../core/workloads/config.js';

/**
 * The stable Deployment before promotion, to undo it; stored in workflow history. Now the whole
 * pod template; releases recorded before kept only the containers' images (still restorable).
 */
export type StableSnapshot = { images: Record<string, string> } | { template: V1PodTemplateSpec };

/** Every container's and init container's image, by container name. */
export function imagesOf(template: V1PodTemplateSpec | undefined): Record<string, string> {
  const images: Record<string, string> = {};
  for (const c of [
    ...(template?.spec?.containers ?? []),
    ...(template?.spec?.initContainers ?? []),
  ]) {
    if (c.image) images[c.name] = c.image;
  }
  return images;
}

/** Sets each named container's image in place; returns how many containers it matched. */
export function setImages(template: V1PodTemplateSpec, images: Record<string, string>): number {
  let matched = 0;
  for (const c of [
    ...(template.spec?.containers ?? []),
    ...(template.spec?.initContainers ?? []),
  ]) {
    const image = images[c.name];
    if (image !== undefined) {
      c.image = image;
      matched += 1;
    }
  }
  return matched;
}

/** The template with the `version` label set (a copy). */
export function withVersionLabel(template: V1PodTemplateSpec, version: string): V1PodTemplateSpec {
  return {
    ...template,
    metadata: {
      ...template.metadata,
      labels: { ...template.metadata?.labels, [VERSION_LABEL]: version },
    },
  };
}

/**
 * The stable's template promoted to a canary Deployment CI applied: the canary's images (or its
 * whole template, keeping the stable's selector labels and dropping the canary's own), and the
 * canary's version label. `undefined` when no container name matches (nothing to promote).
 */
export function promotedFromCanary(
  stable: V1Deployment,
  canary: V1Deployment,
  canaryVersion: string,
  wholeTemplate: boolean,
): V1PodTemplateSpec | undefined {
  const canaryTemplate = structuredClone(canary.spec?.template ?? {});
  if (wholeTemplate) {
    const stableSelector = stable.spec?.selector?.matchLabels ?? {};
    const canarySelector = canary.spec?.selector?.matchLabels ?? {};
    // The canary's own selector labels must not reach stable pods (its Service would select them).
    const labels = Object.fromEntries(
      Object.entries(canaryTemplate.metadata?.labels ?? {}).filter(
        ([key]) => !(key in canarySelector) || key in stableSelector,
      ),
    );
    return withVersionLabel(
      {
        ...canaryTemplate,
        metadata: { ...canaryTemplate.metadata, labels: { ...labels, ...stableSelector } },
      },
      canaryVersion,
    );
  }
  const stableTemplate = structuredClone(stable.spec?.template ?? {});
  if (setImages(stableTemplate, imagesOf(canaryTemplate)) === 0) return undefined;
  return withVersionLabel(stableTemplate, canaryVersion);
}

/**
 * The template a snapshot puts back on `current`: the whole recorded template, or for an older
 * `{images}` snapshot the current template with those images. `undefined` when the snapshot (plain
 * JSON from workflow history) is neither.
 */
export function restoredTemplate(
  current: V1Deployment,
  snapshot: unknown,
): V1PodTemplateSpec | undefined {
  const images = (snapshot as { images?: unknown } | null)?.images;
  const template = (snapshot as { template?: V1PodTemplateSpec } | null)?.template;
  if (template && typeof template === 'object' && template.spec) return structuredClone(template);
  if (
    images &&
    typeof images === 'object' &&
    Object.values(images).every((v) => typeof v === 'string')
  ) {
    const restored = structuredClone(current.spec?.template ?? {});
    setImages(restored, images as Record<string, string>);
    return restored;
  }
  return undefined;
}
