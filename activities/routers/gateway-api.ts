/**
 * GatewayApiRouter: weights on the backendRefs of one rule of an HTTPRoute
 * (gateway.networking.k8s.io/v1): the stable and the canary Service.
 *
 * Cohorts become one extra rule placed right before the managed rule: the managed rule's matches,
 * each combined with every cohort's header or query-parameter condition (`RegularExpression`
 * matches are implementation-specific in Gateway API; ours are RE2 and anchored), sent to the canary only, with the managed
 * rule's filters and timeouts. A rule with more header matches takes precedence over the plain one
 * in Gateway API, and it also comes first. The rule is named "<rule>-canary-cohort"; because
 * clusters with older CRDs drop rule names, its matches are also recorded in an annotation so it
 * can be recognised and removed either way. Everything else in the HTTPRoute is left as it was.
 */
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { cohortCondition, isQueryCondition } from '../../core/routing/cohorts.js';
import type { Cohort, gatewayApiRouterSchema } from '../../core/routing/config.js';
import type { Weights } from '../../core/types.js';
import { accessRule, requirementsOf, type AccessRequirement } from '../kube/access.js';
import { KINDS, objectRef, type KubeObject, type ObjectStore } from '../kube/objects.js';
import type { ClusterChecks } from '../kube/preflight-checks.js';
import { RouteVerificationError, RouterConfigError } from './errors.js';
import { COHORT_SUFFIX, percentages, rawWeight } from './shared.js';
import { SingleObjectRouter } from './single-object-router.js';

export type GatewayApiRouterSpec = z.output<typeof gatewayApiRouterSchema>;

/** Annotation holding the matches of the cohort rule this engine added (JSON). */
export const COHORT_RULE_ANNOTATION = 'canary-engine.io/cohort-rule-matches';

interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  [key: string]: unknown;
}
interface HeaderMatch {
  type?: string;
  name: string;
  value: string;
}
interface RouteMatch {
  path?: { type?: string; value?: string };
  headers?: HeaderMatch[];
  queryParams?: HeaderMatch[];
  [key: string]: unknown;
}
interface Rule {
  name?: string;
  matches?: RouteMatch[];
  backendRefs?: BackendRef[];
  [key: string]: unknown;
}

/** What the Gateway API router does in a cluster (activities/kube/access.ts; deploy/rbac.yaml grants it). */
export const GATEWAY_API_ACCESS = {
  httpRoute: accessRule(KINDS.httpRoute, ['get', 'update']),
};

export class GatewayApiRouter extends SingleObjectRouter {
  constructor(
    store: ObjectStore,
    private readonly namespace: string,
    private readonly spec: GatewayApiRouterSpec,
    checks?: ClusterChecks,
  ) {
    super(store, objectRef(KINDS.httpRoute, namespace, spec.httpRoute), checks);
  }

  requiredAccess(): AccessRequirement[] {
    return requirementsOf(GATEWAY_API_ACCESS.httpRoute, this.namespace, this.spec.httpRoute);
  }

  protected override servicesNamed(): string[] {
    return [this.spec.stableService, this.spec.canaryService];
  }

  protected placeCohorts(route: KubeObject, cohorts: Cohort[]): void {
    const rules = this.rules(route);
    const kept = rules.filter((rule) => !this.isCohortRule(route, rule, rules));
    const annotations = route.metadata.annotations ?? {};
    delete annotations[COHORT_RULE_ANNOTATION];
    if (cohorts.length > 0) {
      const at = this.managedIndex(kept);
      const cohortRule = this.cohortRule(kept[at] as Rule, cohorts);
      kept.splice(at, 0, cohortRule);
      annotations[COHORT_RULE_ANNOTATION] = JSON.stringify(cohortRule.matches);
    }
    route.metadata.annotations = annotations;
    if (Object.keys(annotations).length === 0) delete route.metadata.annotations;
    rules.splice(0, rules.length, ...kept);
  }

  protected placeWeights(route: KubeObject, weights: Weights): void {
    const rules = this.rules(route);
    const { stable, canary } = this.backends(rules[this.managedIndex(rules)] as Rule, true);
    stable.weight = weights.stable;
    (canary as BackendRef).weight = weights.canary;
  }

  protected verifyCohorts(route: KubeObject, cohorts: Cohort[]): void {
    const rules = this.rules(route);
    const index = this.managedIndex(rules);
    const present = rules.findIndex((rule) => this.isCohortRule(route, rule, rules));
    const wanted = cohorts.length > 0;
    if (wanted ? present !== index - 1 : present !== -1) {
      throw new RouteVerificationError(
        this.target,
        wanted ? 'a cohort rule right before the managed rule' : 'no cohort rule',
        present === -1
          ? 'no cohort rule'
          : `a cohort rule at position ${present} (managed rule at ${index})`,
      );
    }
  }

  protected weightsOf(route: KubeObject): Weights {
    const rules = this.rules(route);
    const { stable, canary } = this.backends(rules[this.managedIndex(rules)] as Rule, false);
    // Gateway API: an omitted weight is 1; weights are relative.
    return percentages(
      rawWeight(stable.weight, 1),
      canary ? rawWeight(canary.weight, 1) : 0,
      this.target,
    );
  }

  private rules(route: KubeObject): Rule[] {
    const spec = route.spec as { rules?: Rule[] } | undefined;
    if (!spec?.rules || spec.rules.length === 0)
      throw new RouterConfigError(this.target, 'has no rules (spec.rules is empty)');
    return spec.rules;
  }

  private isCohortRule(route: KubeObject, rule: Rule, rules: Rule[]): boolean {
    if (rule.name?.endsWith(COHORT_SUFFIX)) return true;
    const recorded = route.metadata.annotations?.[COHORT_RULE_ANNOTATION];
    if (rule.name !== undefined || !recorded) return false;
    const onlyCanary = (rule.backendRefs ?? []).every((ref) =>
      this.refersTo(ref, this.spec.canaryService),
    );
    return onlyCanary && rules.length > 1 && isDeepStrictEqual(rule.matches, JSON.parse(recorded));
  }

  /** The managed rule: named in the spec, else the first non-cohort rule with a backendRef to the stable Service. */
  private managedIndex(rules: Rule[]): number {
    const wanted = this.spec.rule;
    const index = wanted
      ? rules.findIndex((rule) => rule.name === wanted)
      : rules.findIndex(
          (rule) =>
            !rule.name?.endsWith(COHORT_SUFFIX) &&
            (rule.backendRefs ?? []).some((ref) => this.refersTo(ref, this.spec.stableService)),
        );
    if (index === -1) {
      throw new RouterConfigError(
        this.target,
        wanted
          ? `has no rule named "${wanted}"`
          : `has no rule with a backendRef to Service "${this.spec.stableService}"`,
      );
    }
    return index;
  }

  private refersTo(ref: BackendRef, service: string): boolean {
    return (
      ref.name === service &&
      (ref.kind ?? 'Service') === 'Service' &&
      (ref.group ?? '') === '' &&
      (ref.namespace ?? this.namespace) === this.namespace
    );
  }

  private backends(rule: Rule, addCanary: boolean): { stable: BackendRef; canary?: BackendRef } {
    const refs = rule.backendRefs ?? [];
    const ruleName = rule.name ? `rule "${rule.name}"` : 'the managed rule';
    const stable = refs.find((ref) => this.refersTo(ref, this.spec.stableService));
    if (!stable)
      throw new RouterConfigError(
        this.target,
        `${ruleName} has no backendRef to Service "${this.spec.stableService}"`,
      );
    const others = refs.filter(
      (ref) => ref !== stable && !this.refersTo(ref, this.spec.canaryService),
    );
    if (others.length > 0) {
      throw new RouterConfigError(
        this.target,
        `${ruleName} has backendRefs other than stable and canary: ${others.map((r) => `${r.kind ?? 'Service'}/${r.name}`).join(', ')}`,
      );
    }
    let canary = refs.find((ref) => this.refersTo(ref, this.spec.canaryService));
    if (!canary && addCanary) {
      canary = {
        ...structuredClone(stable),
        name: this.spec.canaryService,
        port: this.spec.canaryPort ?? stable.port,
        weight: 0,
      };
      if (canary.port === undefined) delete canary.port;
      rule.backendRefs = [...refs, canary];
    }
    return { stable, canary };
  }

  /** The cohort rule for a managed rule: fully spelled-out matches (so API defaulting changes nothing). */
  private cohortRule(managed: Rule, cohorts: Cohort[]): Rule {
    const { name: _name, matches, backendRefs: _refs, ...settings } = structuredClone(managed);
    const conditions = cohorts.map(cohortCondition);
    const base: RouteMatch[] = matches && matches.length > 0 ? matches : [{}];
    const cohortMatches = base.flatMap((m) =>
      conditions.map((c): RouteMatch => {
        const spelled = (
          list: HeaderMatch[] | undefined,
          drop: string | undefined,
        ): HeaderMatch[] =>
          (list ?? [])
            .filter((h) => drop === undefined || h.name.toLowerCase() !== drop)
            .map((h) => ({ ...h, type: h.type ?? 'Exact' }));
        const match: HeaderMatch = {
          type: c.kind === 'exact' ? 'Exact' : 'RegularExpression',
          name: isQueryCondition(c) ? c.query : c.header,
          value: c.value,
        };
        const headers = spelled(m.headers, isQueryCondition(c) ? undefined : c.header);
        const queryParams = isQueryCondition(c)
          ? [...spelled(m.queryParams, undefined).filter((q) => q.name !== c.query), match]
          : m.queryParams && spelled(m.queryParams, undefined);
        if (!isQueryCondition(c)) headers.push(match);
        return {
          ...structuredClone(m),
          path: m.path ? { type: 'PathPrefix', ...m.path } : { type: 'PathPrefix', value: '/' },
          ...(headers.length > 0 ? { headers } : {}),
          ...(queryParams ? { queryParams } : {}),
        };
      }),
    );
    const stable = this.backends(managed, false).stable;
    const canary: BackendRef = {
      ...structuredClone(stable),
      name: this.spec.canaryService,
      port: this.spec.canaryPort ?? stable.port,
      weight: 1,
    };
    if (canary.port === undefined) delete canary.port;
    return {
      name: `${managed.name ?? this.spec.httpRoute}${COHORT_SUFFIX}`,
      matches: cohortMatches,
      backendRefs: [canary],
      ...settings,
    };
  }
}
