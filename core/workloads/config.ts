/**
 * The workloads of a release in its spec: the Deployments behind the two arms (or the sandbox's
 * versions), how the canary is sized and how promotion treats the stable one. Pure and
 * workflow-safe; core/spec.ts puts it into the release spec.
 */
import { z } from 'zod';
import { dnsLabel, durationString } from '../fields.js';

export const workloadsSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('kubernetes'),
    /** The stable Deployment, promoted to the canary's pod template at the end. */
    stableDeployment: dnsLabel,
    /** The canary Deployment, scaled up for the release and down at its end. */
    canaryDeployment: dnsLabel,
    /** Replicas of the canary while the release runs (or the maximum, with scaleWithWeight). */
    canaryReplicas: z.number().int().min(1).max(1000).default(1),
    /** Scale the canary in proportion to its weight, never below minReplicas. */
    scaleWithWeight: z.boolean().default(false),
    minReplicas: z.number().int().min(1).max(1000).default(1),
    /** Promote the whole pod template of the canary, not just container images. */
    promotePodTemplate: z.boolean().default(false),
    /** How long a Deployment may take to become ready. */
    readyTimeout: durationString.default('5m'),
  }),
  /** The sandbox's demo services: promotion makes the canary's version the stable one. */
  z.strictObject({ type: z.literal('sandbox') }),
]);

/**
 * The pod-template label that names a workload's version: metrics presets tell the stable from the
 * canary by it, and the pre-flight checks each Deployment carries its release version in it.
 */
export const VERSION_LABEL = 'version';
