/**
 * Pieces every router uses: weight validation before any call, conversion between a router's raw
 * backend weights and percentages, and read-back checks.
 */
import { weightProblems } from '../../core/routing/config.js';
import type { Weights } from '../../core/types.js';
import {
  describeRef,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  type KubeObject,
  type Mutation,
  type ObjectRef,
  type ObjectStore,
} from '../kube/objects.js';
import { InvalidWeightsError, RouteVerificationError, RouterConfigError } from './errors.js';

/** Throws InvalidWeightsError unless weights are integers 0–100 summing to 100. Call before any API call. */
export function assertValidWeights(weights: Weights, target: string): void {
  const problems = weightProblems(weights);
  if (problems.length > 0) throw new InvalidWeightsError(target, problems);
}

/**
 * Percentages from raw backend weights (Gateway API and Traefik weights are relative, not
 * percentages). Rounds the canary share and gives the rest to stable, so the two sum to 100.
 */
export function percentages(stableRaw: number, canaryRaw: number, target: string): Weights {
  const total = stableRaw + canaryRaw;
  if (!(total > 0))
    throw new RouterConfigError(
      target,
      `both backends have weight 0 (stable ${stableRaw}, canary ${canaryRaw}), so no traffic is routed`,
    );
  const canary = Math.round((100 * canaryRaw) / total);
  return { stable: 100 - canary, canary };
}

/** Suffix of the name of every cohort route, rule or object the routers add ("<name>-canary-cohort"). */
export const COHORT_SUFFIX = '-canary-cohort';

function formatWeights(weights: Weights): string {
  return `stable ${weights.stable} / canary ${weights.canary}`;
}

/** Throws RouteVerificationError when what was read back differs from what was written. */
export function verifyWeights(target: string, expected: Weights, found: Weights): Weights {
  if (found.stable !== expected.stable || found.canary !== expected.canary) {
    throw new RouteVerificationError(target, formatWeights(expected), formatWeights(found));
  }
  return found;
}

/** Raw weight of a destination entry: absent means the implicit default the API defines. */
export function rawWeight(value: unknown, implicit: number): number {
  return typeof value === 'number' ? value : implicit;
}

/**
 * Optimistic update, then the object as the API server now holds it, for checking the write: after
 * a write it is read again rather than trusting the PUT's response, so the check sees what the
 * server persisted and kept (admission webhooks, defaulting, and any writer that changed the
 * object after our write, e.g. a controller or person reverting it); when the mutation changed
 * nothing, the object `update` just read.
 */
export async function updateAndReadBack(
  store: ObjectStore,
  ref: ObjectRef,
  mutate: Mutation,
): Promise<KubeObject> {
  const result = await store.update(ref, mutate);
  return result.written ? store.get(ref) : result.object;
}

/** Throws RouterConfigError naming `ref` unless the object carries the engine's managed-by label. */
export function assertManagedByEngine(object: KubeObject, ref: ObjectRef, hint = ''): void {
  if (object.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) {
    throw new RouterConfigError(
      describeRef(ref),
      `exists but was not created by ${MANAGED_BY_VALUE} (no ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE} label)${hint ? `; ${hint}` : ''}`,
    );
  }
}

/**
 * Deletes an object the engine created, if it exists (refusing one it did not create), then reads
 * again to confirm it is gone or being deleted; RouteVerificationError naming `ref` otherwise.
 */
export async function deleteManagedObject(
  store: ObjectStore,
  ref: ObjectRef,
  hint = '',
): Promise<void> {
  const existing = await store.find(ref);
  if (!existing) return;
  assertManagedByEngine(existing, ref, hint);
  await store.delete(ref);
  const left = await store.find(ref);
  if (left && !left.metadata.deletionTimestamp)
    throw new RouteVerificationError(describeRef(ref), 'the object deleted', 'it still exists');
}
