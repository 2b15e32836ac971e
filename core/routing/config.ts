/**
 * Router and cohort configuration in a release spec. Each router type has its own object shape;
 * an unknown `type` is a validation error at submission, never a silent default.
 */
import { z } from 'zod';
import { dnsLabel, dnsName } from '../fields.js';

/** A request cohort that is sent to the canary regardless of weight while the release runs. */
export const cohortSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('header'),
    name: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name'),
    value: z.string().min(1).max(256),
  }),
  z.strictObject({
    type: z.literal('headerRegex'),
    name: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name'),
    regex: z.string().min(1).max(256),
  }),
  z.strictObject({
    type: z.literal('cookie'),
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a cookie name'),
    value: z.string().regex(/^[A-Za-z0-9_.~-]{1,128}$/, 'must be a plain cookie value'),
  }),
]);
export type Cohort = z.infer<typeof cohortSchema>;

/** Istio: a VirtualService whose managed HTTP route has a stable and a canary destination. */
export const istioRouterSchema = z.strictObject({
  type: z.literal('istio'),
  /** Name of the VirtualService (in the release namespace). */
  virtualService: dnsName,
  /** Name of the HTTP route to manage; default the first route. */
  route: z.string().min(1).optional(),
  /** Destinations either by DestinationRule subsets of one host, or by two service hosts. */
  destinations: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('subsets'),
      host: dnsName,
      stableSubset: dnsLabel.default('stable'),
      canarySubset: dnsLabel.default('canary'),
      destinationRule: dnsName.optional(),
    }),
    z.strictObject({ kind: z.literal('hosts'), stableHost: dnsName, canaryHost: dnsName }),
  ]),
});

/**
 * The local sandbox router (sandbox/): splits generated traffic by the weight the engine sets. It
 * has no address field: the sandbox's address is the local stack's own (CANARY_SANDBOX_URL), so a
 * spec cannot point the worker at a server of its choosing.
 */
export const sandboxRouterSchema = z.strictObject({
  type: z.literal('sandbox'),
});

/**
 * Gateway API: an HTTPRoute (gateway.networking.k8s.io/v1) whose managed rule's backendRefs are the
 * stable and the canary Service.
 */
export const gatewayApiRouterSchema = z.strictObject({
  type: z.literal('gateway-api'),
  /** Name of the HTTPRoute (in the release namespace). */
  httpRoute: dnsName,
  /** Name of the rule to manage; default the first rule with a backendRef to stableService. */
  rule: z.string().min(1).max(253).optional(),
  stableService: dnsLabel,
  canaryService: dnsLabel,
  /** Port of the canary backendRef when the router adds it; default the stable backendRef's port. */
  canaryPort: z.number().int().min(1).max(65535).optional(),
});

/**
 * NGINX Ingress: a canary Ingress that mirrors the stable Ingress's hosts and paths, points at the
 * canary Service and carries the `nginx.ingress.kubernetes.io/canary-*` annotations. The stable
 * Ingress is never modified.
 */
export const nginxRouterSchema = z.strictObject({
  type: z.literal('nginx'),
  /** The stable Ingress (in the release namespace). */
  ingress: dnsName,
  /** The Service the stable Ingress's paths point at; those paths are mirrored to the canary. */
  stableService: dnsLabel,
  canaryService: dnsLabel,
  /** Name of the canary Ingress the router creates; default "<ingress>-canary". */
  canaryIngress: dnsName.optional(),
});

/**
 * Traefik: a weighted TraefikService (traefik.io/v1alpha1) with the stable and canary Services,
 * referenced by an IngressRoute. Cohorts get a separate IngressRoute owned by the engine.
 */
export const traefikRouterSchema = z.strictObject({
  type: z.literal('traefik'),
  /** The weighted TraefikService (in the release namespace). */
  traefikService: dnsName,
  /** The IngressRoute whose routes use the TraefikService; its routes are copied for cohorts. */
  ingressRoute: dnsName,
  stableService: dnsLabel,
  canaryService: dnsLabel,
});

export const routerSpecSchema = z.discriminatedUnion('type', [
  istioRouterSchema,
  gatewayApiRouterSchema,
  nginxRouterSchema,
  traefikRouterSchema,
  sandboxRouterSchema,
]);
export type RouterSpec = z.infer<typeof routerSpecSchema>;
export type RouterType = RouterSpec['type'];

/** Default router for a service when the spec names none: Istio, VirtualService and host named after it. */
export function defaultRouterSpec(service: string): RouterSpec {
  return {
    type: 'istio',
    virtualService: service,
    destinations: {
      kind: 'subsets',
      host: service,
      stableSubset: 'stable',
      canarySubset: 'canary',
    },
  };
}

/** Checks weights before any call to a router: integers 0–100 that sum to 100. Returns problems. */
export function weightProblems(weights: { stable: number; canary: number }): string[] {
  const problems: string[] = [];
  for (const side of ['stable', 'canary'] as const) {
    const w = weights[side];
    if (!Number.isInteger(w) || w < 0 || w > 100)
      problems.push(`${side} weight ${w} must be an integer from 0 to 100`);
  }
  if (problems.length === 0 && weights.stable + weights.canary !== 100) {
    problems.push(`weights ${weights.stable}/${weights.canary} must sum to 100`);
  }
  return problems;
}

/** One problem with a router/cohort combination, in the spec's path syntax (`cohorts[1]`). */
export interface RoutingProblem {
  path: string;
  message: string;
}

/**
 * Cohorts a router cannot express. NGINX's canary annotations allow one header rule
 * (canary-by-header with a value or a pattern) and one cookie (canary-by-cookie), and route on the
 * cookie only when its value is "always". Other routers take any list the schema accepts.
 */
export function routerCohortProblems(
  router: RouterSpec,
  cohorts: readonly Cohort[],
): RoutingProblem[] {
  if (router.type !== 'nginx') return [];
  const problems: RoutingProblem[] = [];
  let headerAt: number | undefined;
  let cookieAt: number | undefined;
  cohorts.forEach((cohort, i) => {
    if (cohort.type === 'cookie') {
      if (cookieAt !== undefined) {
        problems.push({
          path: `cohorts[${i}]`,
          message: `the nginx router supports one cookie cohort (canary-by-cookie); cohorts[${cookieAt}] is already one`,
        });
      } else if (cohort.value !== 'always') {
        problems.push({
          path: `cohorts[${i}].value`,
          message: `the nginx router's canary-by-cookie routes to the canary only when the cookie's value is "always", not "${cohort.value}"`,
        });
      }
      cookieAt ??= i;
    } else {
      if (headerAt !== undefined) {
        problems.push({
          path: `cohorts[${i}]`,
          message: `the nginx router supports one header cohort (canary-by-header); cohorts[${headerAt}] is already one`,
        });
      }
      headerAt ??= i;
    }
  });
  return problems;
}
