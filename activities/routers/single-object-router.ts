/**
 * SingleObjectRouter: the TrafficRouter for meshes whose weights and cohort routes live in one
 * object that the router edits in place: Istio's VirtualService and Gateway API's HTTPRoute. Every
 * operation is then the same: one optimistic update of that object through the ObjectStore, a
 * read-back, and a check that the read-back shows what was written. A subclass says only where
 * weights and cohort routes sit in its object.
 *
 * Routers that spread a release over several objects (NGINX's canary Ingress, Traefik's cohort
 * IngressRoute next to the weighted TraefikService) implement TrafficRouter themselves.
 */
import type { PreflightProblem } from '../../core/preflight.js';
import type { Cohort } from '../../core/routing/config.js';
import type { ReleaseSpec } from '../../core/spec.js';
import type { Weights } from '../../core/types.js';
import type { AccessRequirement } from '../kube/access.js';
import { describeRef, type KubeObject, type ObjectRef, type ObjectStore } from '../kube/objects.js';
import { objectProblems, type ClusterChecks, type ObjectCheck } from '../kube/preflight-checks.js';
import { assertValidWeights, updateAndReadBack, verifyWeights } from './shared.js';
import type { TrafficRouter } from './types.js';

/** What one write should leave in place; an absent field is left as it is. `cohorts: []` removes the cohort route. */
export interface RoutingChange {
  weights?: Weights;
  cohorts?: Cohort[];
}

const ALL_ON_STABLE: Weights = { stable: 100, canary: 0 };

export abstract class SingleObjectRouter implements TrafficRouter {
  readonly target: string;

  /**
   * `ref` is the object that holds both the weights and the cohort routes; `checks` (from the
   * factory) lets the pre-flight check Services and access too.
   */
  protected constructor(
    protected readonly store: ObjectStore,
    protected readonly ref: ObjectRef,
    protected readonly checks?: ClusterChecks,
  ) {
    this.target = describeRef(ref);
  }

  async initialize(cohorts: Cohort[]): Promise<void> {
    await this.checkBeforeInitialize();
    await this.write({ weights: ALL_ON_STABLE, cohorts });
  }

  async getWeights(): Promise<Weights> {
    return this.weightsOf(await this.store.get(this.ref));
  }

  async setWeights(weights: Weights): Promise<Weights> {
    assertValidWeights(weights, this.target);
    return this.write({ weights });
  }

  /** Cohort routes alone (not part of TrafficRouter: initialize writes them with the weights); for this router's own tests. */
  async applyCohorts(cohorts: Cohort[]): Promise<void> {
    await this.write({ cohorts });
  }

  async removeCohorts(): Promise<void> {
    await this.write({ cohorts: [] });
  }

  async finalize(): Promise<Weights> {
    return this.write({ weights: ALL_ON_STABLE, cohorts: [] });
  }

  /**
   * The object this router writes exists, opts in and has the managed route with a stable
   * destination; the other objects and Services it names exist; the worker may do what it will.
   */
  async preflight(release: ReleaseSpec): Promise<PreflightProblem[]> {
    const managed: ObjectCheck = {
      ref: this.ref,
      mustExist: true,
      optIn: true,
      inspect: (object) => void this.weightsOf(object),
    };
    const namespace = this.ref.namespace;
    return [
      ...(await objectProblems(this.store, [managed, ...this.otherObjects()], release.service)),
      ...((await this.checks?.serviceProblems(namespace, this.servicesNamed())) ?? []),
      ...((await this.checks?.accessProblems(this.requiredAccess())) ?? []),
    ];
  }

  /** What a release does in the cluster through this router (its rows of the access table). */
  abstract requiredAccess(): AccessRequirement[];

  /** Objects besides the managed one that routing depends on, for the pre-flight. */
  protected otherObjects(): ObjectCheck[] {
    return [];
  }

  /** Services the spec names in the release's namespace, for the pre-flight. */
  protected servicesNamed(): string[] {
    return [];
  }

  /**
   * Checks made once per release before the first write, for objects the write does not touch but
   * routing depends on (Istio's DestinationRule). Throws a RouterError; by default checks nothing.
   */
  protected async checkBeforeInitialize(): Promise<void> {}

  /** Weights of the managed route in `object`, as percentages. Throws RouterConfigError when it has none. */
  protected abstract weightsOf(object: KubeObject): Weights;

  /** Sets the weights of the managed route in `draft`, adding the canary destination when it is missing. */
  protected abstract placeWeights(draft: KubeObject, weights: Weights): void;

  /** Replaces the cohort route this engine added in `draft` with one for `cohorts` (none for `[]`). */
  protected abstract placeCohorts(draft: KubeObject, cohorts: Cohort[]): void;

  /** Throws RouteVerificationError unless `object` has exactly the cohort route `placeCohorts` writes. */
  protected abstract verifyCohorts(object: KubeObject, cohorts: Cohort[]): void;

  /** Optimistic write of the change, then a read-back check. Returns the weights read back. */
  private async write(change: RoutingChange): Promise<Weights> {
    const readBack = await updateAndReadBack(this.store, this.ref, (draft) => {
      if (change.cohorts) this.placeCohorts(draft, change.cohorts);
      if (change.weights) this.placeWeights(draft, change.weights);
    });
    if (change.weights) verifyWeights(this.target, change.weights, this.weightsOf(readBack));
    if (change.cohorts) this.verifyCohorts(readBack, change.cohorts);
    return this.weightsOf(readBack);
  }
}
