/**
 * How many replicas the stable arm runs, for sizing the canary (core/plan.ts canaryReplicasForWeight
 * owns the arithmetic): the desired (else current) replicas of the HorizontalPodAutoscaler
 * (autoscaling/v2) whose scaleTargetRef is the stable Deployment, when there is one, else the
 * Deployment's spec.replicas. Reads through the Kubernetes API; the choice itself is pure.
 */
import type {
  AutoscalingV2Api,
  V1Deployment,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { toKubeError } from '../kube/objects.js';

/** The stable arm's size and where it came from ("HorizontalPodAutoscaler web", "spec.replicas"). */
export interface StableSize {
  replicas: number;
  from: string;
}

/** The stable's size from the Deployment and the namespace's autoscalers (pure). */
export function stableSize(
  stable: V1Deployment,
  autoscalers: readonly V2HorizontalPodAutoscaler[],
): StableSize {
  const name = stable.metadata?.name;
  const hpa = autoscalers.find(
    (a) =>
      a.spec?.scaleTargetRef.kind === 'Deployment' &&
      a.spec.scaleTargetRef.name === name &&
      (a.spec.scaleTargetRef.apiVersion ?? 'apps/v1').startsWith('apps/'),
  );
  const fromHpa = hpa?.status?.desiredReplicas ?? hpa?.status?.currentReplicas;
  if (hpa && fromHpa !== undefined)
    return {
      replicas: fromHpa,
      from: `HorizontalPodAutoscaler ${hpa.metadata?.name ?? ''}`.trim(),
    };
  return { replicas: stable.spec?.replicas ?? 1, from: 'spec.replicas' };
}

/** The autoscalers of a namespace (autoscaling/v2), read for stableSize. */
export async function listAutoscalers(
  autoscaling: AutoscalingV2Api,
  namespace: string,
): Promise<V2HorizontalPodAutoscaler[]> {
  try {
    return (await autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace })).items;
  } catch (error) {
    throw toKubeError(
      error,
      { namespace, kind: 'HorizontalPodAutoscaler', name: '*' },
      'list autoscalers in',
    );
  }
}
