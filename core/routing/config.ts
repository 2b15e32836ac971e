/**
 * Router and cohort configuration in a release spec. Each router type has its own object shape;
 * an unknown `type` is a validation error at submission, never a silent default.
 */
import { z } from 'zod';
import { dnsLabel, dnsName } from '../fields.js';
import { re2Problem } from './re2.js';

const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name');

/** A regular expression a proxy will accept: RE2 syntax (core/routing/re2.ts), at most 256 characters. */
const re2Regex = z
  .string()
  .min(1)
  .max(256)
  .superRefine((regex, ctx) => {
    const problem = re2Problem(regex);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const userBucketSource = {
  header: headerName,
  /** decimal: last two digits, 1% steps; hex: last two hex digits, 1/256 steps; any: hashed (sandbox only). */
  idFormat: z.enum(['decimal', 'hex', 'any']),
};
/** Where a user id is read: the header and how its id is bucketed (a schedule in userBuckets mode names one). */
export const userBucketSourceSchema = z.strictObject(userBucketSource);
export type UserBucketSource = z.infer<typeof userBucketSourceSchema>;

/** A request cohort that is sent to the canary regardless of weight while the release runs. */
export const cohortSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('header'),
    name: headerName,
    value: z.string().min(1).max(256),
  }),
  z.strictObject({
    type: z.literal('headerRegex'),
    name: headerName,
    regex: re2Regex,
  }),
  z.strictObject({
    type: z.literal('cookie'),
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a cookie name'),
    value: z.string().regex(/^[A-Za-z0-9_.~-]{1,128}$/, 'must be a plain cookie value'),
  }),
  /**
   * A sticky share of users by the id in a request header (core/routing/buckets.ts): the same
   * users at every share, and those of a smaller share among those of a larger one.
   */
  z.strictObject({
    type: z.literal('userBucket'),
    ...userBucketSource,
    percent: z.number().int('must be a whole percent').min(1).max(100),
  }),
  /** A query parameter with a value, or whose value matches a (whole-value, RE2) regex. */
  z
    .strictObject({
      type: z.literal('queryParam'),
      name: z.string().regex(/^[A-Za-z0-9_.~-]{1,64}$/, 'must be a query parameter name'),
      value: z.string().min(1).max(256).optional(),
      regex: re2Regex.optional(),
    })
    .superRefine((cohort, ctx) => {
      if ((cohort.value === undefined) === (cohort.regex === undefined))
        ctx.addIssue({
          code: 'custom',
          path: ['value'],
          message: 'give exactly one of value and regex',
        });
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

/** Why a Kubernetes router cannot take `idFormat: "any"`, and what to do instead. */
const HASHED_IDS =
  'a header regex cannot hash an id, so Kubernetes routers read only its trailing digits: use "decimal" or "hex" for ids that end in uniformly spread digits, or have the auth layer set a bucket header (e.g. x-user-bucket: 00–99, a hash of the user id) and select on it with idFormat "decimal"';

/**
 * Cohorts a router cannot express. Only the sandbox hashes ids (`idFormat: "any"`). NGINX's canary
 * annotations allow one header rule (canary-by-header with a value or a pattern; a user bucket is
 * a pattern) and one cookie (canary-by-cookie), route on the cookie only when its value is
 * "always", and cannot match a query parameter. Other routers take any list the schema accepts.
 */
export function routerCohortProblems(
  router: RouterSpec,
  cohorts: readonly Cohort[],
): RoutingProblem[] {
  if (router.type === 'sandbox') return [];
  const problems: RoutingProblem[] = cohorts.flatMap((cohort, i) =>
    cohort.type === 'userBucket' && cohort.idFormat === 'any'
      ? [
          {
            path: `cohorts[${i}].idFormat`,
            message: `the ${router.type} router cannot route "any" ids: ${HASHED_IDS}`,
          },
        ]
      : [],
  );
  if (router.type !== 'nginx') return problems;
  let headerAt: number | undefined;
  let cookieAt: number | undefined;
  cohorts.forEach((cohort, i) => {
    if (cohort.type === 'queryParam') {
      problems.push({
        path: `cohorts[${i}]`,
        message:
          'the nginx router cannot route by query parameter (ingress-nginx canary annotations match one header, one cookie and a weight); send the cohort a header instead, or use the istio, gateway-api or traefik router',
      });
    } else if (cohort.type === 'cookie') {
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
