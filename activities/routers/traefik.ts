/**
 * TraefikRouter: weights on the two services of a weighted TraefikService (traefik.io/v1alpha1),
 * which an IngressRoute uses as its backend.
 *
 * Cohorts get an IngressRoute of their own, "<ingressRoute>-canary-cohort", owned by the engine:
 * for every route of the user's IngressRoute that uses the TraefikService it has a route matching
 * `(<original rule>) && (<cohort conditions>)` that goes straight to the canary Service, with the
 * same entry points, middlewares and TLS. Traefik ranks rules by length unless a priority is set,
 * so the longer cohort rule wins; an explicit priority is raised by one. The user's IngressRoute is
 * only read. Rules use Traefik v3 syntax (Header, HeaderRegexp).
 */
import type { z } from 'zod';
import type { PreflightProblem } from '../../core/preflight.js';
import type { Cohort, traefikRouterSchema } from '../../core/routing/config.js';
import type { ReleaseSpec } from '../../core/spec.js';
import type { Weights } from '../../core/types.js';
import { accessRule, requirementsOf } from '../kube/access.js';
import {
  describeRef,
  KINDS,
  objectRef,
  type KubeObject,
  type ObjectRef,
  type ObjectStore,
} from '../kube/objects.js';
import { objectProblems, type ClusterChecks } from '../kube/preflight-checks.js';
import { ObjectNotFoundError, RouteVerificationError, RouterConfigError } from './errors.js';
import {
  assertManagedByEngine,
  assertValidWeights,
  COHORT_SUFFIX,
  deleteManagedObject,
  percentages,
  rawWeight,
  updateAndReadBack,
  verifyWeights,
} from './shared.js';
import { cohortIngressRoute, type Route } from './traefik-cohorts.js';
import type { TrafficRouter } from './types.js';

// the cohort IngressRoute's construction lives in traefik-cohorts.ts; this keeps the import path
export { traefikCondition } from './traefik-cohorts.js';

export type TraefikRouterSpec = z.output<typeof traefikRouterSchema>;

interface WeightedService {
  name: string;
  kind?: string;
  namespace?: string;
  port?: number | string;
  weight?: number;
  [key: string]: unknown;
}

/** What the Traefik router does in a cluster (activities/kube/access.ts; deploy/rbac.yaml grants it). */
export const TRAEFIK_ACCESS = {
  traefikService: accessRule(KINDS.traefikService, ['get', 'update']),
  ingressRoute: accessRule(KINDS.ingressRoute, ['get', 'create', 'update', 'delete']),
};

export class TraefikRouter implements TrafficRouter {
  readonly target: string;
  private readonly serviceRef: ObjectRef;
  private readonly routeRef: ObjectRef;
  private readonly cohortRef: ObjectRef;

  constructor(
    private readonly store: ObjectStore,
    private readonly namespace: string,
    private readonly spec: TraefikRouterSpec,
    /** Lets the pre-flight check Services and access too (the factory gives it). */
    private readonly checks?: ClusterChecks,
  ) {
    this.serviceRef = objectRef(KINDS.traefikService, namespace, spec.traefikService);
    this.routeRef = objectRef(KINDS.ingressRoute, namespace, spec.ingressRoute);
    this.cohortRef = objectRef(
      KINDS.ingressRoute,
      namespace,
      `${spec.ingressRoute}${COHORT_SUFFIX}`,
    );
    this.target = describeRef(this.serviceRef);
  }

  /**
   * The weighted TraefikService exists, opts in and weighs the stable Service; the IngressRoute
   * uses it; a cohort IngressRoute that already exists is the engine's; both Services exist; the
   * worker may do what the release will (create and update the cohort IngressRoute only with
   * cohorts; finalize always deletes it).
   */
  async preflight(release: ReleaseSpec): Promise<PreflightProblem[]> {
    const { namespace } = this.serviceRef;
    const routes = TRAEFIK_ACCESS.ingressRoute;
    const cohorts = release.cohorts.length > 0;
    return [
      ...(await objectProblems(
        this.store,
        [
          {
            ref: this.serviceRef,
            mustExist: true,
            optIn: true,
            inspect: (service) => void this.weightsOf(service),
          },
          {
            ref: this.routeRef,
            mustExist: true,
            optIn: false,
            inspect: (route) => void this.routesUsingService(route),
          },
          {
            ref: this.cohortRef,
            mustExist: false,
            optIn: true,
            inspect: (route) => assertManagedByEngine(route, this.cohortRef),
          },
        ],
        release.service,
      )),
      ...((await this.checks?.serviceProblems(namespace, [
        this.spec.stableService,
        this.spec.canaryService,
      ])) ?? []),
      ...((await this.checks?.accessProblems([
        ...requirementsOf(TRAEFIK_ACCESS.traefikService, namespace, this.serviceRef.name),
        ...requirementsOf(routes, namespace, this.routeRef.name, ['get']),
        ...requirementsOf(
          routes,
          namespace,
          this.cohortRef.name,
          cohorts ? ['get', 'create', 'update', 'delete'] : ['get', 'delete'],
        ),
      ])) ?? []),
    ];
  }

  async initialize(cohorts: Cohort[]): Promise<void> {
    await this.store.get(this.serviceRef);
    this.routesUsingService(await this.store.get(this.routeRef));
    await this.setWeights({ stable: 100, canary: 0 });
    await this.applyCohorts(cohorts);
  }

  async getWeights(): Promise<Weights> {
    return this.weightsOf(await this.store.get(this.serviceRef));
  }

  async setWeights(weights: Weights): Promise<Weights> {
    assertValidWeights(weights, this.target);
    const readBack = await updateAndReadBack(this.store, this.serviceRef, (draft) => {
      const { stable, canary } = this.services(draft, true);
      stable.weight = weights.stable;
      (canary as WeightedService).weight = weights.canary;
    });
    return verifyWeights(this.target, weights, this.weightsOf(readBack));
  }

  /** The cohort IngressRoute alone; initialize and finalize use it (not part of TrafficRouter). */
  async applyCohorts(cohorts: Cohort[]): Promise<void> {
    if (cohorts.length === 0) return this.removeCohorts();
    const [ingressRoute, traefikService] = await Promise.all([
      this.store.get(this.routeRef),
      this.store.get(this.serviceRef),
    ]);
    const wanted = cohortIngressRoute({
      ref: this.cohortRef,
      spec: this.spec,
      ingressRoute,
      routes: this.routesUsingService(ingressRoute),
      stablePort: this.services(traefikService, false).stable.port,
      cohorts,
    });
    let readBack: KubeObject;
    try {
      readBack = await updateAndReadBack(this.store, this.cohortRef, (draft) => {
        assertManagedByEngine(draft, this.cohortRef);
        draft.spec = wanted.spec;
      });
    } catch (error) {
      if (!(error instanceof ObjectNotFoundError && error.object === describeRef(this.cohortRef)))
        throw error;
      await this.store.create(this.cohortRef, wanted);
      readBack = await this.store.get(this.cohortRef);
    }
    const routes = (readBack.spec as { routes?: Route[] } | undefined)?.routes ?? [];
    const expected = (wanted.spec as { routes: Route[] }).routes.map((r) => r.match);
    if (JSON.stringify(routes.map((r) => r.match)) !== JSON.stringify(expected)) {
      throw new RouteVerificationError(
        describeRef(this.cohortRef),
        `routes ${JSON.stringify(expected)}`,
        JSON.stringify(routes.map((r) => r.match)),
      );
    }
  }

  async removeCohorts(): Promise<void> {
    await deleteManagedObject(this.store, this.cohortRef);
  }

  async finalize(): Promise<Weights> {
    const weights = await this.setWeights({ stable: 100, canary: 0 });
    await this.removeCohorts();
    return weights;
  }

  private weightsOf(traefikService: KubeObject): Weights {
    const { stable, canary } = this.services(traefikService, false);
    // Traefik: an omitted weight is 1; weights are relative.
    return percentages(
      rawWeight(stable.weight, 1),
      canary ? rawWeight(canary.weight, 1) : 0,
      this.target,
    );
  }

  private isService(entry: WeightedService, name: string): boolean {
    return (
      entry.name === name &&
      (entry.kind ?? 'Service') === 'Service' &&
      (entry.namespace ?? this.namespace) === this.namespace
    );
  }

  private services(
    traefikService: KubeObject,
    addCanary: boolean,
  ): { stable: WeightedService; canary?: WeightedService } {
    const weighted = (
      traefikService.spec as { weighted?: { services?: WeightedService[] } } | undefined
    )?.weighted;
    if (!weighted)
      throw new RouterConfigError(
        this.target,
        'is not a weighted TraefikService (spec.weighted is missing)',
      );
    const entries = weighted.services ?? [];
    const stable = entries.find((entry) => this.isService(entry, this.spec.stableService));
    if (!stable)
      throw new RouterConfigError(
        this.target,
        `has no weighted service "${this.spec.stableService}"`,
      );
    const others = entries.filter(
      (entry) => entry !== stable && !this.isService(entry, this.spec.canaryService),
    );
    if (others.length > 0) {
      throw new RouterConfigError(
        this.target,
        `has weighted services other than stable and canary: ${others.map((e) => `${e.kind ?? 'Service'}/${e.name}`).join(', ')}`,
      );
    }
    let canary = entries.find((entry) => this.isService(entry, this.spec.canaryService));
    if (!canary && addCanary) {
      canary = { ...structuredClone(stable), name: this.spec.canaryService, weight: 0 };
      weighted.services = [...entries, canary];
    }
    return { stable, canary };
  }

  /** Routes of the IngressRoute that use the TraefikService; a config error when there are none. */
  private routesUsingService(ingressRoute: KubeObject): Route[] {
    const routes = ((ingressRoute.spec as { routes?: Route[] } | undefined)?.routes ?? []).filter(
      (route) =>
        (route.services ?? []).some(
          (s) =>
            s.name === this.spec.traefikService &&
            s.kind === 'TraefikService' &&
            (s.namespace ?? this.namespace) === this.namespace,
        ),
    );
    if (routes.length === 0) {
      throw new RouterConfigError(
        describeRef(this.routeRef),
        `has no route whose services include TraefikService "${this.spec.traefikService}"`,
      );
    }
    return routes;
  }
}
