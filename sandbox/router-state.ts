/**
 * The sandbox router's state and its rules, without I/O: which version is stable and which is the
 * canary, the weights, the cohorts, and a generation that every change increments (the sandbox's
 * resourceVersion). The control API (control-api.ts) is a thin HTTP layer over this class, and the
 * proxy (router-server.ts) asks it where each request goes.
 */
import { inUserBucket } from '../core/routing/buckets.js';
import { cohortCondition, isQueryCondition } from '../core/routing/cohorts.js';
import { weightProblems, type Cohort } from '../core/routing/config.js';
import type { Weights } from '../core/types.js';
import { ControlError } from './errors.js';

/** What GET /control/state returns. */
export interface RouterState {
  stableVersion: string;
  /** The version that receives the canary's share, or null outside a release. */
  canaryVersion: string | null;
  weights: Weights;
  cohorts: Cohort[];
  /** Incremented by every change; a write may require it with `ifGeneration`. */
  generation: number;
  /** The demo versions the router can send traffic to. */
  versions: string[];
}

/** Where one request goes and why. */
export interface RouteDecision {
  arm: 'stable' | 'canary';
  version: string;
  reason: 'cohort' | 'weight';
}

/** Reads a request: a (lowercase-named) header's value, a query parameter's first value. */
export interface RequestView {
  header(name: string): string | undefined;
  query(name: string): string | undefined;
}

/** Whether a request belongs to one cohort. */
type CompiledCohort = (request: RequestView) => boolean;

/**
 * Compiles a cohort. Regular expressions must match the whole value, as Envoy's (and so Istio's)
 * safe_regex matches do. A user bucket is computed, not matched: by the id's trailing digits for
 * decimal and hex ids (the same users the Kubernetes routers' regexes select), by a hash of the
 * whole id for `idFormat: "any"` (core/routing/buckets.ts).
 */
function compileCohort(cohort: Cohort, index: number): CompiledCohort {
  if (cohort.type === 'userBucket') {
    const header = cohort.header.toLowerCase();
    return (request) => {
      const id = request.header(header)?.trim();
      return id !== undefined && id !== '' && inUserBucket(id, cohort.idFormat, cohort.percent);
    };
  }
  const condition = cohortCondition(cohort);
  const read = isQueryCondition(condition)
    ? (request: RequestView) => request.query(condition.query)
    : (request: RequestView) => request.header(condition.header);
  if (condition.kind === 'exact') return (request) => read(request) === condition.value;
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${condition.value})$`);
  } catch (error) {
    throw new ControlError(
      400,
      'invalid-cohort',
      `cohorts[${index}]: invalid regular expression ${JSON.stringify(condition.value)}: ${(error as Error).message}`,
    );
  }
  return (request) => {
    const value = read(request);
    return value !== undefined && regex.test(value);
  };
}

/** A cohort as text with its keys in one order, for comparing lists by content. */
function canonical(cohort: Cohort): string {
  const entries = Object.entries(cohort).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(entries);
}

/** Cohort lists compared by content, whatever the order of each object's keys. */
export function sameCohorts(a: readonly Cohort[], b: readonly Cohort[]): boolean {
  return JSON.stringify(a.map(canonical)) === JSON.stringify(b.map(canonical));
}

/** The router's state and the only way to change it; every method validates before it changes anything. */
export class RouterStateStore {
  private stableVersion: string;
  private canaryVersion: string | null = null;
  private weights: Weights = { stable: 100, canary: 0 };
  private cohorts: Cohort[] = [];
  private compiled: CompiledCohort[] = [];
  private generation = 1;

  constructor(
    private readonly versions: readonly string[],
    initialStable: string,
  ) {
    this.stableVersion = this.knownVersion(initialStable, 'stable');
  }

  /** A copy of the current state. */
  get state(): RouterState {
    return {
      stableVersion: this.stableVersion,
      canaryVersion: this.canaryVersion,
      weights: { ...this.weights },
      cohorts: structuredClone(this.cohorts),
      generation: this.generation,
      versions: [...this.versions],
    };
  }

  /** Sets the weights; a canary share needs a canary version. */
  setWeights(weights: Weights, ifGeneration?: number): RouterState {
    const problems = weightProblems(weights);
    if (problems.length > 0)
      throw new ControlError(400, 'invalid-weights', `invalid weights: ${problems.join('; ')}`);
    this.checkGeneration(ifGeneration);
    if (weights.canary > 0 && this.canaryVersion === null) {
      throw new ControlError(
        409,
        'no-canary',
        `cannot send ${weights.canary}% to the canary: no canary version is set (PUT /control/canary first)`,
      );
    }
    return this.change(
      weights.stable !== this.weights.stable || weights.canary !== this.weights.canary,
      () => {
        this.weights = { stable: weights.stable, canary: weights.canary };
      },
    );
  }

  /** Replaces the cohorts whose requests go to the canary regardless of weight. */
  setCohorts(cohorts: Cohort[], ifGeneration?: number): RouterState {
    const compiled = cohorts.map(compileCohort);
    this.checkGeneration(ifGeneration);
    if (cohorts.length > 0 && this.canaryVersion === null) {
      throw new ControlError(
        409,
        'no-canary',
        'cannot route cohorts to the canary: no canary version is set (PUT /control/canary first)',
      );
    }
    return this.change(!sameCohorts(cohorts, this.cohorts), () => {
      this.cohorts = structuredClone(cohorts);
      this.compiled = compiled;
    });
  }

  /**
   * Chooses the canary version, or clears it with null. The canary can change only while it gets
   * no traffic (weight 0 and no cohorts), as a Deployment is only scaled down after traffic left.
   */
  setCanary(version: string | null, ifGeneration?: number): RouterState {
    const next = version === null ? null : this.knownVersion(version, 'canary');
    this.checkGeneration(ifGeneration);
    if (next === this.canaryVersion) return this.state;
    if (this.weights.canary > 0 || this.cohorts.length > 0) {
      const traffic = `${this.weights.canary}% of traffic${this.cohorts.length > 0 ? ` and ${this.cohorts.length} cohort(s)` : ''}`;
      throw new ControlError(
        409,
        'canary-in-use',
        `the canary ${this.canaryVersion} still receives ${traffic}; set its weight to 0 and remove the cohorts before changing it`,
      );
    }
    return this.change(true, () => {
      this.canaryVersion = next;
    });
  }

  /** Makes a version the stable one (used to restore the stable version after an aborted promotion). */
  setStable(version: string, ifGeneration?: number): RouterState {
    const next = this.knownVersion(version, 'stable');
    this.checkGeneration(ifGeneration);
    return this.change(next !== this.stableVersion, () => {
      this.stableVersion = next;
    });
  }

  /** The stable arm starts serving the canary's version: the sandbox's "update the stable Deployment". */
  promote(ifGeneration?: number): RouterState {
    this.checkGeneration(ifGeneration);
    const canary = this.canaryVersion;
    if (canary === null)
      throw new ControlError(409, 'no-canary', 'nothing to promote: no canary version is set');
    return this.change(canary !== this.stableVersion, () => {
      this.stableVersion = canary;
    });
  }

  /**
   * Where a request goes: to the canary when it matches a cohort, otherwise to the canary with
   * probability weights.canary / 100. `header` returns a (lowercase-named) header's value, `query`
   * a query parameter's; `draw` is a uniform random number in [0, 1).
   */
  route(
    header: (name: string) => string | undefined,
    draw: number,
    query: (name: string) => string | undefined = () => undefined,
  ): RouteDecision {
    const canary = this.canaryVersion;
    if (canary !== null) {
      const request: RequestView = { header, query };
      if (this.compiled.some((cohort) => cohort(request)))
        return { arm: 'canary', version: canary, reason: 'cohort' };
      if (draw * 100 < this.weights.canary)
        return { arm: 'canary', version: canary, reason: 'weight' };
    }
    return { arm: 'stable', version: this.stableVersion, reason: 'weight' };
  }

  private knownVersion(version: string, role: string): string {
    if (!this.versions.includes(version)) {
      throw new ControlError(
        400,
        'unknown-version',
        `unknown ${role} version ${JSON.stringify(version)}; the sandbox runs ${this.versions.join(', ')}`,
      );
    }
    return version;
  }

  private checkGeneration(ifGeneration: number | undefined): void {
    if (ifGeneration !== undefined && ifGeneration !== this.generation) {
      throw new ControlError(
        409,
        'generation-conflict',
        `the state changed: ifGeneration is ${ifGeneration} but the current generation is ${this.generation}; read the state and try again`,
      );
    }
  }

  /** Applies a change and increments the generation, unless nothing would change. */
  private change(changed: boolean, apply: () => void): RouterState {
    if (changed) {
      apply();
      this.generation += 1;
    }
    return this.state;
  }
}
