/**
 * Pieces every router uses: weight validation before any call, conversion between a router's raw
 * backend weights and percentages, and read-back checks.
 */
import { weightProblems } from '../../core/routing/config.js';
import type { Weights } from '../../core/types.js';
import type { KubeObject, Mutation, ObjectRef, ObjectStore } from '../kube/objects.js';
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
  if (!(total > 0)) throw new RouterConfigError(target, `both backends have weight 0 (stable ${stableRaw}, canary ${canaryRaw}), so no traffic is routed`);
  const canary = Math.round((100 * canaryRaw) / total);
  return { stable: 100 - canary, canary };
}

export function formatWeights(weights: Weights): string {
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
 * Optimistic update, then the object as the API server now holds it, for checking the write: read
 * again after a write (the server may have defaulted or dropped fields), or the object `update`
 * just read when the mutation changed nothing.
 */
export async function updateAndReadBack(store: ObjectStore, ref: ObjectRef, mutate: Mutation): Promise<KubeObject> {
  const result = await store.update(ref, mutate);
  return result.written ? store.get(ref) : result.object;
}
