/**
 * NginxRouter: ingress-nginx canary. The router creates a canary Ingress that mirrors the stable
 * Ingress's hosts and the paths that point at the stable Service, points them at the canary
 * Service, and carries the canary annotations:
 *   nginx.ingress.kubernetes.io/canary: "true"
 *   nginx.ingress.kubernetes.io/canary-weight: "<canary percent>"
 *   nginx.ingress.kubernetes.io/canary-by-header (+ -value or -pattern), canary-by-cookie (cohorts)
 * The stable Ingress is only read, never written. The canary Ingress is created at initialize
 * (or the first setWeights) and deleted at finalize.
 */
import type { z } from 'zod';
import {
  routerCohortProblems,
  type Cohort,
  type nginxRouterSchema,
} from '../../core/routing/config.js';
import type { Weights } from '../../core/types.js';
import {
  describeRef,
  KINDS,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  newObject,
  objectRef,
  type KubeObject,
  type Mutation,
  type ObjectRef,
  type ObjectStore,
} from '../kube/objects.js';
import { objectsNotOptedIn, type OptInProblem } from '../kube/opt-in.js';
import { ObjectNotFoundError, RouteVerificationError, RouterConfigError } from './errors.js';
import {
  assertManagedByEngine,
  assertValidWeights,
  deleteManagedObject,
  updateAndReadBack,
  verifyWeights,
} from './shared.js';
import type { TrafficRouter } from './types.js';

export type NginxRouterSpec = z.output<typeof nginxRouterSchema>;

const PREFIX = 'nginx.ingress.kubernetes.io/';
const NGINX_ANNOTATIONS = {
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
/** What to do when the canary Ingress's name is taken by an object the engine did not create. */
const OWNERSHIP_HINT = 'rename it or set router.canaryIngress';
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

export class NginxRouter implements TrafficRouter {
  readonly target: string;
  private readonly stableRef: ObjectRef;
  private readonly canaryRef: ObjectRef;

  constructor(
    private readonly store: ObjectStore,
    namespace: string,
    private readonly spec: NginxRouterSpec,
  ) {
    this.stableRef = objectRef(KINDS.ingress, namespace, spec.ingress);
    this.canaryRef = objectRef(
      KINDS.ingress,
      namespace,
      spec.canaryIngress ?? `${spec.ingress}-canary`,
    );
    this.target = describeRef(this.canaryRef);
  }

  /** The stable Ingress the canary mirrors, and a canary Ingress that already exists. */
  objectsNotOptedIn(service: string): Promise<OptInProblem[]> {
    return objectsNotOptedIn(this.store, [this.stableRef, this.canaryRef], service);
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
    const spec = (stable.spec ?? {}) as IngressSpec;
    const rules: IngressRule[] = [];
    for (const rule of spec.rules ?? []) {
      const paths = (rule.http?.paths ?? [])
        .filter((path) => path.backend?.service?.name === this.spec.stableService)
        .map((path) => {
          const copy = structuredClone(path);
          (copy.backend as { service: { name: string } }).service.name = this.spec.canaryService;
          return copy;
        });
      if (paths.length > 0)
        rules.push({ ...(rule.host ? { host: rule.host } : {}), http: { paths } });
    }
    if (rules.length === 0) {
      throw new RouterConfigError(
        describeRef(this.stableRef),
        `has no path whose backend is Service "${this.spec.stableService}"`,
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
    return newObject(this.canaryRef, {
      metadata: {
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [STABLE_INGRESS_LABEL]: this.spec.ingress },
        annotations: notes,
        ownerReferences: stable.metadata.uid
          ? [
              {
                apiVersion: 'networking.k8s.io/v1',
                kind: 'Ingress',
                name: this.spec.ingress,
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

  private weightsOf(canary: KubeObject): Weights {
    const raw = canary.metadata.annotations?.[NGINX_ANNOTATIONS.weight];
    if (canary.metadata.annotations?.[NGINX_ANNOTATIONS.canary] !== 'true') {
      throw new RouterConfigError(
        this.target,
        `lacks the annotation ${NGINX_ANNOTATIONS.canary}: "true"`,
      );
    }
    const weight = raw === undefined ? 0 : Number(raw);
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
      throw new RouterConfigError(
        this.target,
        `has ${NGINX_ANNOTATIONS.weight}: "${raw}", not an integer from 0 to 100`,
      );
    }
    return { stable: 100 - weight, canary: weight };
  }

  private verifyCohorts(canary: KubeObject, cohorts: Cohort[]): void {
    const expected: Record<string, string> = {};
    setCohortAnnotations(expected, cohorts);
    const found = pick(canary.metadata.annotations ?? {}, COHORT_ANNOTATIONS);
    if (JSON.stringify(sorted(expected)) !== JSON.stringify(sorted(found))) {
      throw new RouteVerificationError(
        this.target,
        `cohort annotations ${JSON.stringify(sorted(expected))}`,
        JSON.stringify(sorted(found)),
      );
    }
  }
}

function annotations(object: KubeObject): Record<string, string> {
  object.metadata.annotations ??= {};
  return object.metadata.annotations;
}

/** Replaces the canary-by-* annotations with those for the cohorts (already checked to be expressible). */
function setCohortAnnotations(notes: Record<string, string>, cohorts: Cohort[]): void {
  for (const key of COHORT_ANNOTATIONS) delete notes[key];
  for (const cohort of cohorts) {
    if (cohort.type === 'header') {
      notes[NGINX_ANNOTATIONS.byHeader] = cohort.name;
      notes[NGINX_ANNOTATIONS.byHeaderValue] = cohort.value;
    } else if (cohort.type === 'headerRegex') {
      notes[NGINX_ANNOTATIONS.byHeader] = cohort.name;
      notes[NGINX_ANNOTATIONS.byHeaderPattern] = cohort.regex;
    } else {
      notes[NGINX_ANNOTATIONS.byCookie] = cohort.name;
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
