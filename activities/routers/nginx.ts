/**
 * NginxRouter: ingress-nginx canary. The router creates a canary Ingress that mirrors the stable
 * Ingress's hosts and the paths that point at the stable Service, points them at the canary
 * Service, and carries the canary annotations:
 *   nginx.ingress.kubernetes.io/canary: "true"
 *   nginx.ingress.kubernetes.io/canary-weight: "<canary percent>"
 *   nginx.ingress.kubernetes.io/canary-by-header (+ -value or -pattern), canary-by-cookie (cohorts)
 * The stable Ingress is only read, never written. The canary Ingress is created at initialize
 * (or the first setWeights) and deleted at finalize. This file does the reads and writes; the
 * canary Ingress's construction and reading are in nginx-ingress.ts.
 */
import type { PreflightProblem } from '../../core/preflight.js';
import { routerCohortProblems, type Cohort } from '../../core/routing/config.js';
import type { ReleaseSpec } from '../../core/spec.js';
import type { Weights } from '../../core/types.js';
import { accessRule, requirementsOf } from '../kube/access.js';
import {
  describeRef,
  KINDS,
  objectRef,
  type KubeObject,
  type Mutation,
  type ObjectRef,
  type ObjectStore,
} from '../kube/objects.js';
import { objectProblems, type ClusterChecks } from '../kube/preflight-checks.js';
import { ObjectNotFoundError, RouterConfigError } from './errors.js';
import {
  annotations,
  canaryIngressFor,
  NGINX_ANNOTATIONS,
  setCohortAnnotations,
  verifyCohorts,
  weightsOf,
  type NginxRouterSpec,
} from './nginx-ingress.js';
import {
  assertManagedByEngine,
  assertValidWeights,
  deleteManagedObject,
  updateAndReadBack,
  verifyWeights,
} from './shared.js';
import type { TrafficRouter } from './types.js';

// the canary Ingress's shape lives in nginx-ingress.ts; these keep the router's import path
export { STABLE_INGRESS_LABEL, type NginxRouterSpec } from './nginx-ingress.js';

/** What to do when the canary Ingress's name is taken by an object the engine did not create. */
const OWNERSHIP_HINT = 'rename it or set router.canaryIngress';

const ALL_ON_STABLE: Weights = { stable: 100, canary: 0 };

/** What the NGINX router does in a cluster (activities/kube/access.ts; deploy/rbac.yaml grants it). */
export const NGINX_ACCESS = {
  ingress: accessRule(KINDS.ingress, ['get', 'create', 'update', 'delete']),
};

export class NginxRouter implements TrafficRouter {
  readonly target: string;
  private readonly stableRef: ObjectRef;
  private readonly canaryRef: ObjectRef;

  constructor(
    private readonly store: ObjectStore,
    namespace: string,
    private readonly spec: NginxRouterSpec,
    /** Lets the pre-flight check Services and access too (the factory gives it). */
    private readonly checks?: ClusterChecks,
  ) {
    this.stableRef = objectRef(KINDS.ingress, namespace, spec.ingress);
    this.canaryRef = objectRef(
      KINDS.ingress,
      namespace,
      spec.canaryIngress ?? `${spec.ingress}-canary`,
    );
    this.target = describeRef(this.canaryRef);
  }

  /**
   * The stable Ingress exists, opts in and has paths to the stable Service; a canary Ingress that
   * already exists is the engine's; both Services exist; the worker may read the stable Ingress and
   * create, update and delete the canary one.
   */
  async preflight(release: ReleaseSpec): Promise<PreflightProblem[]> {
    const { namespace } = this.stableRef;
    const ingress = NGINX_ACCESS.ingress;
    return [
      ...(await objectProblems(
        this.store,
        [
          {
            ref: this.stableRef,
            mustExist: true,
            optIn: true,
            inspect: (stable) => void this.canaryIngressFor(stable, ALL_ON_STABLE, release.cohorts),
          },
          {
            ref: this.canaryRef,
            mustExist: false,
            optIn: true,
            inspect: (canary) => assertManagedByEngine(canary, this.canaryRef, OWNERSHIP_HINT),
          },
        ],
        release.service,
      )),
      ...((await this.checks?.serviceProblems(namespace, [
        this.spec.stableService,
        this.spec.canaryService,
      ])) ?? []),
      ...((await this.checks?.accessProblems([
        ...requirementsOf(ingress, namespace, this.stableRef.name, ['get']),
        ...requirementsOf(ingress, namespace, this.canaryRef.name),
      ])) ?? []),
    ];
  }

  async initialize(cohorts: Cohort[]): Promise<void> {
    this.assertExpressible(cohorts);
    await this.resyncCanaryIngress({ stable: 100, canary: 0 }, cohorts);
  }

  async getWeights(): Promise<Weights> {
    const canary = await this.store.find(this.canaryRef);
    if (!canary) {
      await this.store.get(this.stableRef); // a missing stable Ingress is an error, not "all on stable"
      return { stable: 100, canary: 0 };
    }
    return this.weightsOf(canary);
  }

  async setWeights(weights: Weights): Promise<Weights> {
    assertValidWeights(weights, this.target);
    const readBack = await this.updateCanaryIngress((draft) => {
      annotations(draft)[NGINX_ANNOTATIONS.weight] = String(weights.canary);
    });
    if (!readBack) return this.createCanaryIngress(weights, []);
    return verifyWeights(this.target, weights, this.weightsOf(readBack));
  }

  /** Cohort annotations alone (not part of TrafficRouter: initialize writes them); for this router's own tests. */
  async applyCohorts(cohorts: Cohort[]): Promise<void> {
    this.assertExpressible(cohorts);
    if (!(await this.updateCohorts(cohorts)))
      await this.createCanaryIngress({ stable: 100, canary: 0 }, cohorts);
  }

  async removeCohorts(): Promise<void> {
    await this.updateCohorts([]);
  }

  /** Deletes the canary Ingress (all traffic then goes to the stable Ingress's backends). */
  async finalize(): Promise<Weights> {
    await deleteManagedObject(this.store, this.canaryRef, OWNERSHIP_HINT);
    return { stable: 100, canary: 0 };
  }

  private assertExpressible(cohorts: Cohort[]): void {
    const problems = routerCohortProblems(this.spec, cohorts);
    if (problems.length > 0) {
      throw new RouterConfigError(
        this.target,
        `cohorts cannot be expressed with NGINX canary annotations: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      );
    }
  }

  /**
   * Optimistic update of the canary Ingress, read back; undefined when it does not exist (so the
   * caller creates it, without a separate lookup first).
   */
  private async updateCanaryIngress(mutate: Mutation): Promise<KubeObject | undefined> {
    try {
      return await updateAndReadBack(this.store, this.canaryRef, mutate);
    } catch (error) {
      if (error instanceof ObjectNotFoundError && error.object === this.target) return undefined;
      throw error;
    }
  }

  /** Sets the cohort annotations on an existing canary Ingress of ours; false when there is none. */
  private async updateCohorts(cohorts: Cohort[]): Promise<boolean> {
    const readBack = await this.updateCanaryIngress((draft) => {
      assertManagedByEngine(draft, this.canaryRef, OWNERSHIP_HINT);
      setCohortAnnotations(annotations(draft), cohorts);
    });
    if (!readBack) return false;
    this.verifyCohorts(readBack, cohorts);
    return true;
  }

  /**
   * Rewrites the canary Ingress (when it is ours) so it mirrors the stable Ingress as it is now,
   * with the weights and cohorts given, or creates it.
   */
  private async resyncCanaryIngress(weights: Weights, cohorts: Cohort[]): Promise<void> {
    const stable = await this.store.get(this.stableRef);
    const wanted = this.canaryIngressFor(stable, weights, cohorts);
    const readBack = await this.updateCanaryIngress((draft) => {
      assertManagedByEngine(draft, this.canaryRef, OWNERSHIP_HINT);
      draft.spec = wanted.spec;
      draft.metadata.labels = { ...draft.metadata.labels, ...wanted.metadata.labels };
      draft.metadata.annotations = { ...wanted.metadata.annotations };
    });
    if (!readBack) {
      await this.createFrom(stable, weights, cohorts);
      return;
    }
    this.verifyCohorts(readBack, cohorts);
    verifyWeights(this.target, weights, this.weightsOf(readBack));
  }

  /** Creates the canary Ingress from the stable one (known not to exist yet), then reads it back. */
  private async createCanaryIngress(weights: Weights, cohorts: Cohort[]): Promise<Weights> {
    return this.createFrom(await this.store.get(this.stableRef), weights, cohorts);
  }

  private async createFrom(
    stable: KubeObject,
    weights: Weights,
    cohorts: Cohort[],
  ): Promise<Weights> {
    await this.store.create(this.canaryRef, this.canaryIngressFor(stable, weights, cohorts));
    const readBack = await this.store.get(this.canaryRef);
    this.verifyCohorts(readBack, cohorts);
    return verifyWeights(this.target, weights, this.weightsOf(readBack));
  }

  private canaryIngressFor(stable: KubeObject, weights: Weights, cohorts: Cohort[]): KubeObject {
    return canaryIngressFor(
      { stable: this.stableRef, canary: this.canaryRef },
      this.spec,
      stable,
      weights,
      cohorts,
    );
  }

  private weightsOf(canary: KubeObject): Weights {
    return weightsOf(this.target, canary);
  }

  private verifyCohorts(canary: KubeObject, cohorts: Cohort[]): void {
    verifyCohorts(this.target, canary, cohorts);
  }
}
