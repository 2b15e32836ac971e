/**
 * The workloads of a release in its spec: the Deployments behind the two arms (or the sandbox's
 * versions), how the canary is deployed and sized, and how promotion treats the stable one. Pure
 * and workflow-safe; core/spec.ts puts it into the release spec. The rules about a canary the
 * engine deploys (image references, the pod-template patch) live in core/workloads/canary.ts.
 */
import { z } from 'zod';
import { dnsLabel, durationString } from '../fields.js';
import { DNS_LABEL_RE } from '../names.js';
import type { SpecProblem } from '../problems.js';
import { canarySchema } from './canary.js';

/**
 * The pod-template label that names a workload's version: metrics presets tell the stable from the
 * canary by it, the pre-flight checks each Deployment carries its release version in it, the
 * canary's pods get `canaryVersion`, promotion gives it to the stable's pods, and an omitted
 * `stableVersion` is read from it.
 */
export const VERSION_LABEL = 'version';

export const workloadsSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('kubernetes'),
    /** The stable Deployment, promoted to the canary's version at the end. */
    stableDeployment: dnsLabel,
    /** The canary Deployment (default `<stableDeployment>-canary`), scaled for the release and down at its end. */
    canaryDeployment: dnsLabel.optional(),
    /**
     * When given, the engine creates (or updates) the canary Deployment from the stable one; without
     * it, CI applies the canary Deployment itself.
     */
    canary: canarySchema.optional(),
    /**
     * Before sizing followed the stable's replicas, the canary's fixed size (or the cap with
     * scaleWithWeight). Now a floor for the canary at every weight above 0 (as minReplicas).
     */
    canaryReplicas: z.number().int().min(1).max(1000).default(1),
    /** Accepted for older specs; the canary is always sized for its weight (core/plan.ts). */
    scaleWithWeight: z.boolean().default(false),
    /** The fewest canary replicas at any weight above 0. */
    minReplicas: z.number().int().min(1).max(1000).default(1),
    /** Promote the whole pod template of the canary, not just its images, version label and patch. */
    promotePodTemplate: z.boolean().default(false),
    /** How long a Deployment may take to become ready. */
    readyTimeout: durationString.default('5m'),
  }),
  /**
   * The sandbox's demo services: promotion makes the canary's version the stable one. `canary` is
   * accepted here only to be refused with a reason (core/providers.ts): the demo versions are fixed.
   */
  z.strictObject({ type: z.literal('sandbox'), canary: z.unknown().optional() }),
]);

type ParsedWorkloads = z.output<typeof workloadsSchema>;
/** Kubernetes workloads as validated: the canary Deployment's name filled in. */
export type KubernetesWorkloads = Omit<
  Extract<ParsedWorkloads, { type: 'kubernetes' }>,
  'canaryDeployment'
> & { canaryDeployment: string };
/** The workloads of a validated spec. */
export type WorkloadsSpec = KubernetesWorkloads | Extract<ParsedWorkloads, { type: 'sandbox' }>;

/** The canary Deployment's name when the spec leaves it out. */
export function defaultCanaryDeployment(stableDeployment: string): string {
  return `${stableDeployment}-canary`;
}

/**
 * The workloads with their defaults filled in, or the problems that need other fields: omitted
 * workloads follow the router (the sandbox's, or the Deployments named after the service), and a
 * canary Deployment may not be the stable one nor have a name longer than a label.
 */
export function completeWorkloads(
  service: string,
  routerType: string | undefined,
  workloads: ParsedWorkloads | undefined,
): { workloads?: WorkloadsSpec; problems: SpecProblem[] } {
  if (!workloads) {
    if (routerType === 'sandbox') return { workloads: { type: 'sandbox' }, problems: [] };
    const canaryDeployment = defaultCanaryDeployment(service);
    if (!DNS_LABEL_RE.test(canaryDeployment)) {
      const message = `is too long for the default canary Deployment name "${canaryDeployment}" (at most 63 characters); name the Deployments in workloads`;
      return { problems: [{ path: 'service', message }] };
    }
    const defaults = workloadsSchema.parse({ type: 'kubernetes', stableDeployment: service });
    return { workloads: { ...defaults, canaryDeployment } as KubernetesWorkloads, problems: [] };
  }
  if (workloads.type !== 'kubernetes') return { workloads, problems: [] };
  const canaryDeployment =
    workloads.canaryDeployment ?? defaultCanaryDeployment(workloads.stableDeployment);
  const path = 'workloads.canaryDeployment';
  if (!DNS_LABEL_RE.test(canaryDeployment)) {
    const message = `is required: the default "${canaryDeployment}" is longer than 63 characters`;
    return { problems: [{ path, message }] };
  }
  if (canaryDeployment === workloads.stableDeployment) {
    const message = `must differ from stableDeployment "${workloads.stableDeployment}": the canary is a Deployment of its own`;
    return { problems: [{ path, message }] };
  }
  return { workloads: { ...workloads, canaryDeployment }, problems: [] };
}
