/**
 * IstioRouter: weights on one HTTP route of a VirtualService (networking.istio.io/v1), whose
 * destinations are the stable and the canary version, told apart either by DestinationRule
 * subsets of one host or by two service hosts.
 *
 * Cohorts become one extra HTTP route named "<route>-canary-cohort", placed right before the
 * managed route: it repeats the managed route's matches, each combined with every cohort's header
 * or query-parameter condition (`headers` / `queryParams`, RE2 `regex` matching the whole value),
 * and sends them to the canary; it copies the managed route's other settings (retries,
 * timeout, fault, rewrite, ...) so cohort requests are treated the same. Everything else in the
 * VirtualService is left exactly as it was.
 */
import type { z } from 'zod';
import { cohortCondition, isQueryCondition } from '../../core/routing/cohorts.js';
import type { Cohort, istioRouterSchema } from '../../core/routing/config.js';
import type { Weights } from '../../core/types.js';
import { accessRule, requirementsOf, type AccessRequirement } from '../kube/access.js';
import {
  describeRef,
  KINDS,
  objectRef,
  type KubeObject,
  type ObjectStore,
} from '../kube/objects.js';
import type { ClusterChecks, ObjectCheck } from '../kube/preflight-checks.js';
import { RouteVerificationError, RouterConfigError } from './errors.js';
import { COHORT_SUFFIX, rawWeight } from './shared.js';
import { SingleObjectRouter } from './single-object-router.js';

export type IstioRouterSpec = z.output<typeof istioRouterSchema>;

interface Destination {
  host: string;
  subset?: string;
  port?: Record<string, unknown>;
}
interface RouteDestination {
  destination: Destination;
  weight?: number;
  [key: string]: unknown;
}
interface HttpMatch {
  headers?: Record<string, Record<string, string>>;
  queryParams?: Record<string, Record<string, string>>;
  [key: string]: unknown;
}
interface HttpRoute {
  name?: string;
  match?: HttpMatch[];
  route?: RouteDestination[];
  [key: string]: unknown;
}

/** What the Istio router does in a cluster (activities/kube/access.ts; deploy/rbac.yaml grants it). */
export const ISTIO_ACCESS = {
  virtualService: accessRule(KINDS.virtualService, ['get', 'update']),
  destinationRule: accessRule(KINDS.destinationRule, ['get']),
};

export class IstioRouter extends SingleObjectRouter {
  constructor(
    store: ObjectStore,
    private readonly namespace: string,
    private readonly spec: IstioRouterSpec,
    checks?: ClusterChecks,
  ) {
    super(store, objectRef(KINDS.virtualService, namespace, spec.virtualService), checks);
  }

  requiredAccess(): AccessRequirement[] {
    const rule = this.destinationRule();
    return [
      ...requirementsOf(ISTIO_ACCESS.virtualService, this.namespace, this.spec.virtualService),
      ...(rule ? requirementsOf(ISTIO_ACCESS.destinationRule, this.namespace, rule) : []),
    ];
  }

  /** The DestinationRule named for the subsets, which must have both. */
  protected override otherObjects(): ObjectCheck[] {
    const name = this.destinationRule();
    if (!name) return [];
    const ref = objectRef(KINDS.destinationRule, this.namespace, name);
    return [
      {
        ref,
        mustExist: true,
        optIn: false,
        inspect: (rule) => {
          const missing = this.missingSubsets(rule);
          return missing ? [missing] : [];
        },
      },
    ];
  }

  /** The VirtualService first (it is what a missing-object error should name), then the DestinationRule's subsets. */
  protected override async checkBeforeInitialize(): Promise<void> {
    await this.store.get(this.ref);
    await this.checkDestinationRule();
  }

  protected placeCohorts(vs: KubeObject, cohorts: Cohort[]): void {
    const http = this.routes(vs);
    const index = this.managedIndex(http);
    const cohortName = this.cohortRouteName(http[index] as HttpRoute);
    const kept = http.filter((route) => route.name !== cohortName);
    if (cohorts.length > 0) {
      const managedAt = this.managedIndex(kept);
      kept.splice(
        managedAt,
        0,
        this.cohortRoute(kept[managedAt] as HttpRoute, cohortName, cohorts),
      );
    }
    http.splice(0, http.length, ...kept);
  }

  protected placeWeights(vs: KubeObject, weights: Weights): void {
    const http = this.routes(vs);
    const route = http[this.managedIndex(http)] as HttpRoute;
    const { stable, canary } = this.destinations(route, true);
    stable.weight = weights.stable;
    (canary as RouteDestination).weight = weights.canary;
  }

  protected verifyCohorts(vs: KubeObject, cohorts: Cohort[]): void {
    const http = this.routes(vs);
    const index = this.managedIndex(http);
    const cohortName = this.cohortRouteName(http[index] as HttpRoute);
    const present = http.findIndex((route) => route.name === cohortName);
    const wanted = cohorts.length > 0;
    if (wanted ? present !== index - 1 : present !== -1) {
      throw new RouteVerificationError(
        this.target,
        wanted
          ? `cohort route "${cohortName}" right before the managed route`
          : `no cohort route "${cohortName}"`,
        present === -1
          ? 'no cohort route'
          : `cohort route at position ${present} (managed route at ${index})`,
      );
    }
  }

  protected weightsOf(vs: KubeObject): Weights {
    const http = this.routes(vs);
    const route = http[this.managedIndex(http)] as HttpRoute;
    const { stable, canary } = this.destinations(route, false);
    const single = (route.route ?? []).length === 1;
    return {
      stable: rawWeight(stable.weight, single ? 100 : 0),
      canary: canary ? rawWeight(canary.weight, 0) : 0,
    };
  }

  private routes(vs: KubeObject): HttpRoute[] {
    const spec = vs.spec as { http?: HttpRoute[] } | undefined;
    if (!spec?.http || spec.http.length === 0)
      throw new RouterConfigError(this.target, 'has no HTTP routes (spec.http is empty)');
    return spec.http;
  }

  /** Index of the managed route: the one named in the spec, else the first that is not a cohort route. */
  private managedIndex(http: HttpRoute[]): number {
    const wanted = this.spec.route;
    const index = wanted
      ? http.findIndex((route) => route.name === wanted)
      : http.findIndex((route) => !route.name?.endsWith(COHORT_SUFFIX));
    if (index === -1) {
      const names = http.map((route) => route.name ?? '(unnamed)').join(', ');
      throw new RouterConfigError(
        this.target,
        wanted
          ? `has no HTTP route named "${wanted}" (routes: ${names})`
          : 'has only cohort routes',
      );
    }
    return index;
  }

  private cohortRouteName(managed: HttpRoute): string {
    return `${managed.name ?? this.spec.virtualService}${COHORT_SUFFIX}`;
  }

  /** The stable and canary entries of a route; with `addCanary`, appends a canary entry when missing. */
  private destinations(
    route: HttpRoute,
    addCanary: boolean,
  ): { stable: RouteDestination; canary?: RouteDestination } {
    const entries = route.route ?? [];
    const routeName = route.name ? `HTTP route "${route.name}"` : 'the managed HTTP route';
    const stable = entries.find((entry) => this.isStable(entry.destination));
    if (!stable) {
      throw new RouterConfigError(
        this.target,
        `${routeName} has no destination for the stable version (${this.describeDestinations()})`,
      );
    }
    const others = entries.filter((entry) => entry !== stable && !this.isCanary(entry.destination));
    if (others.length > 0) {
      const hosts = others.map(
        (entry) =>
          `${entry.destination.host}${entry.destination.subset ? `/${entry.destination.subset}` : ''}`,
      );
      throw new RouterConfigError(
        this.target,
        `${routeName} has destinations other than stable and canary: ${hosts.join(', ')}`,
      );
    }
    let canary = entries.find((entry) => this.isCanary(entry.destination));
    if (!canary && addCanary) {
      canary = {
        ...structuredClone(stable),
        destination: { ...structuredClone(stable.destination), ...this.canaryDestination() },
        weight: 0,
      };
      route.route = [...entries, canary];
    }
    return { stable, canary };
  }

  private canaryDestination(): Destination {
    const d = this.spec.destinations;
    return d.kind === 'subsets' ? { host: d.host, subset: d.canarySubset } : { host: d.canaryHost };
  }

  private isStable(destination: Destination): boolean {
    const d = this.spec.destinations;
    return d.kind === 'subsets'
      ? this.sameHost(destination.host, d.host) && destination.subset === d.stableSubset
      : this.sameHost(destination.host, d.stableHost);
  }

  private isCanary(destination: Destination): boolean {
    const d = this.spec.destinations;
    return d.kind === 'subsets'
      ? this.sameHost(destination.host, d.host) && destination.subset === d.canarySubset
      : this.sameHost(destination.host, d.canaryHost);
  }

  private describeDestinations(): string {
    const d = this.spec.destinations;
    return d.kind === 'subsets'
      ? `host ${d.host} subset ${d.stableSubset}`
      : `host ${d.stableHost}`;
  }

  /** Istio resolves short hosts in the VirtualService's namespace: "reviews" = "reviews.ns.svc.cluster.local". */
  private sameHost(a: string, b: string): boolean {
    const full = (host: string) => {
      const parts = host.split('.');
      if (parts.length === 1) return `${host}.${this.namespace}.svc.cluster.local`;
      if (parts.length === 2) return `${host}.svc.cluster.local`;
      if (parts.length === 3 && parts[2] === 'svc') return `${host}.cluster.local`;
      return host;
    };
    return full(a) === full(b);
  }

  private cohortRoute(managed: HttpRoute, name: string, cohorts: Cohort[]): HttpRoute {
    const { name: _name, match, route: _route, ...settings } = structuredClone(managed);
    const conditions = cohorts.map(cohortCondition);
    const base: HttpMatch[] = match && match.length > 0 ? match : [{}];
    const matches = base.flatMap((m) =>
      conditions.map((c) =>
        isQueryCondition(c)
          ? {
              ...structuredClone(m),
              queryParams: { ...m.queryParams, [c.query]: { [c.kind]: c.value } },
            }
          : {
              ...structuredClone(m),
              headers: { ...m.headers, [c.header]: { [c.kind]: c.value } },
            },
      ),
    );
    const stable = this.destinations(managed, false).stable;
    const destination = { ...structuredClone(stable.destination), ...this.canaryDestination() };
    return { name, match: matches, route: [{ destination, weight: 100 }], ...settings };
  }

  private destinationRule(): string | undefined {
    const d = this.spec.destinations;
    return d.kind === 'subsets' ? d.destinationRule : undefined;
  }

  /** What the DestinationRule lacks of the two subsets; undefined when it has both. */
  private missingSubsets(rule: KubeObject): string | undefined {
    const d = this.spec.destinations;
    if (d.kind !== 'subsets') return undefined;
    const subsets = (
      (rule.spec as { subsets?: { name?: string }[] } | undefined)?.subsets ?? []
    ).map((s) => s.name);
    const missing = [d.stableSubset, d.canarySubset].filter((s) => !subsets.includes(s));
    if (missing.length === 0) return undefined;
    return `has no subset ${missing.map((s) => `"${s}"`).join(' or ')} (subsets: ${subsets.join(', ') || 'none'})`;
  }

  private async checkDestinationRule(): Promise<void> {
    const name = this.destinationRule();
    if (!name) return;
    const ref = objectRef(KINDS.destinationRule, this.namespace, name);
    const missing = this.missingSubsets(await this.store.get(ref));
    if (missing) throw new RouterConfigError(describeRef(ref), missing);
  }
}
