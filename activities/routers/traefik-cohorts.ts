/**
 * The Traefik router's cohort IngressRoute, built from the user's IngressRoute: for every route
 * that uses the weighted TraefikService, one that matches `(<original rule>) && (<cohort
 * conditions>)` and goes straight to the canary Service (see traefik.ts). Pure; the router reads
 * and writes.
 */
import type { z } from 'zod';
import {
  cohortCondition,
  isQueryCondition,
  type RequestCondition,
} from '../../core/routing/cohorts.js';
import type { Cohort, traefikRouterSchema } from '../../core/routing/config.js';
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  newObject,
  type KubeObject,
  type ObjectRef,
} from '../kube/objects.js';

/** One route of an IngressRoute. */
export interface Route {
  kind?: string;
  match: string;
  priority?: number;
  services?: { name: string; kind?: string; namespace?: string; [key: string]: unknown }[];
  [key: string]: unknown;
}

export interface CohortRouteInput {
  /** Where the cohort IngressRoute lives. */
  ref: ObjectRef;
  spec: z.output<typeof traefikRouterSchema>;
  /** The user's IngressRoute, and those of its routes that use the TraefikService. */
  ingressRoute: KubeObject;
  routes: Route[];
  /** The stable Service's port in the TraefikService, reused for the canary. */
  stablePort: number | string | undefined;
  cohorts: Cohort[];
}

/** The cohort IngressRoute the engine owns (managed-by label), with the user's other settings. */
export function cohortIngressRoute(input: CohortRouteInput): KubeObject {
  const { spec, cohorts, stablePort } = input;
  const condition = cohorts.map((c) => traefikCondition(cohortCondition(c))).join(' || ');
  const { routes: _routes, ...settings } = structuredClone(
    input.ingressRoute.spec as { routes: Route[] },
  );
  const routes = input.routes.map((route) => {
    const { services: _services, priority, match, ...rest } = structuredClone(route);
    return {
      ...rest,
      kind: route.kind ?? 'Rule',
      match: `(${match}) && (${condition})`,
      ...(priority !== undefined ? { priority: priority + 1 } : {}),
      services: [
        {
          kind: 'Service',
          name: spec.canaryService,
          ...(stablePort !== undefined ? { port: stablePort } : {}),
        },
      ],
    };
  });
  return newObject(input.ref, {
    metadata: {
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
      annotations: { 'canary-engine.io/cohorts-for': spec.ingressRoute },
    },
    spec: { ...settings, routes },
  });
}

/**
 * A Traefik v3 rule matcher for a condition: Header / HeaderRegexp, Query / QueryRegexp (Go regexp
 * syntax, which searches the value: query regexes come anchored from cohortCondition).
 */
export function traefikCondition(condition: RequestCondition): string {
  const [on, name] = isQueryCondition(condition)
    ? ['Query', condition.query]
    : ['Header', condition.header];
  const fn = condition.kind === 'exact' ? on : `${on}Regexp`;
  return `${fn}(${traefikString(name)}, ${traefikString(condition.value)})`;
}

/** Backquoted when possible (no escaping inside), else a double-quoted Go string. */
function traefikString(text: string): string {
  return text.includes('`') ? JSON.stringify(text) : `\`${text}\``;
}
