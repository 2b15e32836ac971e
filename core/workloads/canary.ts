/**
 * A canary the engine deploys (`workloads.canary`): the images it runs, a JSON merge patch on the
 * stable's pod template, and what becomes of it when the release ends. What can be judged from the
 * spec alone is checked here (image references, patch keys that would change the selector or the
 * version label); what depends on the live stable Deployment (its selector) is checked when the
 * canary is built (activities/workloads/canary-deployment.ts). Pure and workflow-safe.
 */
import { z } from 'zod';
import { dnsLabel } from '../fields.js';
import { LABEL_VALUE_RE } from '../names.js';

// The grammar of github.com/distribution/reference: [domain[:port]/]path[:tag][@digest].
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';

/**
 * An image reference: `[registry[:port]/]repo/path[:tag][@sha256:<64 hex>]`, repository path in
 * lowercase, no spaces. Groups: 1 the repository (with its registry), 2 the tag, 3 the digest.
 */
export const IMAGE_REF_RE = new RegExp(
  `^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);

/** The tag of an image reference (`registry/app:1.5.0` → `1.5.0`); undefined without one. */
export function imageTag(ref: string): string | undefined {
  return IMAGE_REF_RE.exec(ref)?.[2];
}

/** The canary's version taken from its one image's tag, when that tag is a label value. */
export function versionFromImages(images: Record<string, string> | undefined): string | undefined {
  const refs = Object.values(images ?? {});
  if (refs.length !== 1) return undefined;
  const tag = imageTag(refs[0] as string);
  return tag !== undefined && LABEL_VALUE_RE.test(tag) ? tag : undefined;
}

const imageRef = z
  .string()
  .max(512)
  .regex(
    IMAGE_REF_RE,
    'must be an image reference such as "registry.example.com/team/app:1.5.0" or "...@sha256:<64 hex digits>" (lowercase repository path, no spaces)',
  );

/** Whether `value` is a plain JSON object (not an array, not null). */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What a pod-template patch may not set, judged from the spec alone. The pod template has no
 * selector: a `selector` key means a Deployment patch was meant, and the engine never changes a
 * selector. The version label comes from `canaryVersion`.
 */
function patchProblems(patch: Record<string, unknown>): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  for (const key of Object.keys(patch)) {
    if (key === 'selector') {
      problems.push({
        path: [key],
        message:
          'a pod-template patch cannot change a selector (the engine gives the canary its own)',
      });
    } else if (key !== 'metadata' && key !== 'spec') {
      problems.push({
        path: [key],
        message: 'is not a field of a pod template (only "metadata" and "spec")',
      });
    }
  }
  const spec = patch.spec;
  if (isObject(spec) && 'selector' in spec) {
    problems.push({
      path: ['spec', 'selector'],
      message:
        'a pod-template patch cannot change a selector (the engine gives the canary its own)',
    });
  }
  const metadata = patch.metadata;
  if (isObject(metadata)) {
    for (const key of ['name', 'namespace'])
      if (key in metadata)
        problems.push({ path: ['metadata', key], message: 'is set by the engine' });
    const labels = metadata.labels;
    if (isObject(labels)) {
      for (const [key, value] of Object.entries(labels)) {
        if (key === 'version') {
          problems.push({
            path: ['metadata', 'labels', key],
            message: 'is set from canaryVersion; change canaryVersion instead',
          });
        } else if (value !== null && (typeof value !== 'string' || !LABEL_VALUE_RE.test(value))) {
          problems.push({
            path: ['metadata', 'labels', key],
            message: 'must be a Kubernetes label value, or null to remove the label',
          });
        }
      }
    }
  }
  return problems;
}

const podTemplatePatch = z.record(z.string(), z.unknown()).superRefine((patch, ctx) => {
  for (const problem of patchProblems(patch))
    ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
});

export const canarySchema = z
  .strictObject({
    /** New image per container name (containers and init containers of the stable's template). */
    images: z.record(dnsLabel, imageRef).optional(),
    /** A JSON merge patch (RFC 7386) on the stable's pod template; lists in it replace whole lists. */
    podTemplatePatch: podTemplatePatch.optional(),
    /** At the end of the release: delete the canary Deployment, or keep it at 0 replicas. */
    onEnd: z.enum(['delete', 'scaleToZero']).default('scaleToZero'),
  })
  .refine((c) => Object.keys(c.images ?? {}).length > 0 || c.podTemplatePatch !== undefined, {
    message:
      'needs images or a podTemplatePatch (otherwise the canary would run the stable version)',
  });

export type CanarySpec = z.output<typeof canarySchema>;
