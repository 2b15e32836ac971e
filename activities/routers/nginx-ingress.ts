/**
 * The canary Ingress that NginxRouter (nginx.ts) writes, as pure object construction and reading:
 * built from the stable Ingress (its hosts and the paths that point at the stable Service, pointed
 * at the canary Service) with the ingress-nginx canary annotations, and read back into weights and
 * cohort annotations. No I/O here; the router does the reads and writes.
 */
import type { z } from 'zod';
import { cohortCondition, type HeaderCondition } from '../../core/routing/cohorts.js';
import type { Cohort, nginxRouterSchema } from '../../core/routing/config.js';
import type { Weights } from '../../core/types.js';
import {
  describeRef,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  newObject,
  type KubeObject,
  type ObjectRef,
} from '../kube/objects.js';
import { RouteVerificationError, RouterConfigError } from './errors.js';

export type NginxRouterSpec = z.output<typeof nginxRouterSchema>;

const PREFIX = 'nginx.ingress.kubernetes.io/';
export const NGINX_ANNOTATIONS = {
  canary: `${PREFIX}canary`,
  weight: `${PREFIX}canary-weight`,
  byHeader: `${PREFIX}canary-by-header`,
  byHeaderValue: `${PREFIX}canary-by-header-value`,
  byHeaderPattern: `${PREFIX}canary-by-header-pattern`,
  byCookie: `${PREFIX}canary-by-cookie`,
} as const;
const COHORT_ANNOTATIONS = [
  NGINX_ANNOTATIONS.byHeader,
  NGINX_ANNOTATIONS.byHeaderValue,
  NGINX_ANNOTATIONS.byHeaderPattern,
  NGINX_ANNOTATIONS.byCookie,
];
/** Label on the canary Ingress naming the stable Ingress it mirrors. */
export const STABLE_INGRESS_LABEL = 'canary-engine.io/stable-ingress';

interface IngressPath {
  backend?: { service?: { name?: string; port?: unknown } };
  [key: string]: unknown;
}
interface IngressRule {
  host?: string;
  http?: { paths?: IngressPath[] };
}
interface IngressSpec {
  ingressClassName?: string;
  tls?: unknown[];
  rules?: IngressRule[];
  [key: string]: unknown;
}

/** Where the router's two Ingresses are: the stable one it mirrors and the canary one it owns. */
export interface IngressRefs {
  stable: ObjectRef;
  canary: ObjectRef;
}

/** The canary Ingress mirroring the stable Ingress as it is now, with the weights and cohorts given. */
export function canaryIngressFor(
  refs: IngressRefs,
  router: NginxRouterSpec,
  stable: KubeObject,
  weights: Weights,
  cohorts: Cohort[],
): KubeObject {
  const spec = (stable.spec ?? {}) as IngressSpec;
  const rules: IngressRule[] = [];
  for (const rule of spec.rules ?? []) {
    const paths = (rule.http?.paths ?? [])
      .filter((path) => path.backend?.service?.name === router.stableService)
      .map((path) => {
        const copy = structuredClone(path);
        (copy.backend as { service: { name: string } }).service.name = router.canaryService;
        return copy;
      });
    if (paths.length > 0)
      rules.push({ ...(rule.host ? { host: rule.host } : {}), http: { paths } });
  }
  if (rules.length === 0) {
    throw new RouterConfigError(
      describeRef(refs.stable),
      `has no path whose backend is Service "${router.stableService}"`,
    );
  }
  const inherited = Object.fromEntries(
    Object.entries(stable.metadata.annotations ?? {}).filter(
      ([key]) =>
        !key.startsWith(`${PREFIX}canary`) &&
        key !== 'kubectl.kubernetes.io/last-applied-configuration',
    ),
  );
  const notes: Record<string, string> = {
    ...inherited,
    [NGINX_ANNOTATIONS.canary]: 'true',
    [NGINX_ANNOTATIONS.weight]: String(weights.canary),
  };
  setCohortAnnotations(notes, cohorts);
  return newObject(refs.canary, {
    metadata: {
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [STABLE_INGRESS_LABEL]: router.ingress },
      annotations: notes,
      ownerReferences: stable.metadata.uid
        ? [
            {
              apiVersion: 'networking.k8s.io/v1',
              kind: 'Ingress',
              name: router.ingress,
              uid: stable.metadata.uid,
            },
          ]
        : undefined,
    },
    spec: {
      ...(spec.ingressClassName ? { ingressClassName: spec.ingressClassName } : {}),
      ...(spec.tls ? { tls: structuredClone(spec.tls) } : {}),
      rules,
    },
  });
}

/** The weights a canary Ingress carries; target names it in the error when the annotations are wrong. */
export function weightsOf(target: string, canary: KubeObject): Weights {
  const raw = canary.metadata.annotations?.[NGINX_ANNOTATIONS.weight];
  if (canary.metadata.annotations?.[NGINX_ANNOTATIONS.canary] !== 'true') {
    throw new RouterConfigError(target, `lacks the annotation ${NGINX_ANNOTATIONS.canary}: "true"`);
  }
  const weight = raw === undefined ? 0 : Number(raw);
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
    throw new RouterConfigError(
      target,
      `has ${NGINX_ANNOTATIONS.weight}: "${raw}", not an integer from 0 to 100`,
    );
  }
  return { stable: 100 - weight, canary: weight };
}

/** Throws RouteVerificationError when the canary Ingress's cohort annotations are not the cohorts'. */
export function verifyCohorts(target: string, canary: KubeObject, cohorts: Cohort[]): void {
  const expected: Record<string, string> = {};
  setCohortAnnotations(expected, cohorts);
  const found = pick(canary.metadata.annotations ?? {}, COHORT_ANNOTATIONS);
  if (JSON.stringify(sorted(expected)) !== JSON.stringify(sorted(found))) {
    throw new RouteVerificationError(
      target,
      `cohort annotations ${JSON.stringify(sorted(expected))}`,
      JSON.stringify(sorted(found)),
    );
  }
}

/** The object's annotations, created empty when it has none, for a mutation to write into. */
export function annotations(object: KubeObject): Record<string, string> {
  object.metadata.annotations ??= {};
  return object.metadata.annotations;
}

/**
 * Replaces the canary-by-* annotations with those for the cohorts (already checked to be
 * expressible: routerCohortProblems). A user bucket is a canary-by-header-pattern; ingress-nginx
 * matches it as a PCRE search, which the anchored bucket regex makes a whole-value match.
 */
export function setCohortAnnotations(notes: Record<string, string>, cohorts: Cohort[]): void {
  for (const key of COHORT_ANNOTATIONS) delete notes[key];
  for (const cohort of cohorts) {
    if (cohort.type === 'header') {
      notes[NGINX_ANNOTATIONS.byHeader] = cohort.name;
      notes[NGINX_ANNOTATIONS.byHeaderValue] = cohort.value;
    } else if (cohort.type === 'headerRegex') {
      notes[NGINX_ANNOTATIONS.byHeader] = cohort.name;
      notes[NGINX_ANNOTATIONS.byHeaderPattern] = cohort.regex;
    } else if (cohort.type === 'userBucket') {
      const condition = cohortCondition(cohort) as HeaderCondition;
      notes[NGINX_ANNOTATIONS.byHeader] = condition.header;
      notes[NGINX_ANNOTATIONS.byHeaderPattern] = condition.value;
    } else if (cohort.type === 'cookie') {
      notes[NGINX_ANNOTATIONS.byCookie] = cohort.name;
    } else {
      throw new Error(`the nginx router cannot express a ${cohort.type} cohort`); // refused at submission
    }
  }
}

function pick(notes: Record<string, string>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    keys.filter((key) => key in notes).map((key) => [key, notes[key] as string]),
  );
}

function sorted(notes: Record<string, string>): [string, string][] {
  return Object.entries(notes).sort(([a], [b]) => a.localeCompare(b));
}
