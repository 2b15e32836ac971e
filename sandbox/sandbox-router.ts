/**
 * SandboxRouter: the TrafficRouter of the local sandbox, over the sandbox router's control API.
 * Like the Kubernetes routers it validates weights before any call, writes optimistically
 * (retrying when another writer got in between), and reads every write back to check it.
 */
import { RouteVerificationError } from '../activities/routers/errors.js';
import { assertValidWeights, verifyWeights } from '../activities/routers/shared.js';
import type { TrafficRouter } from '../activities/routers/types.js';
import type { PreflightProblem } from '../core/preflight.js';
import type { Cohort } from '../core/routing/config.js';
import type { Weights } from '../core/types.js';
import { ControlClient, type ControlClientOptions } from './control-client.js';
import { sameCohorts } from './router-state.js';

const ALL_ON_STABLE: Weights = { stable: 100, canary: 0 };

const describeCohorts = (cohorts: readonly Cohort[]): string =>
  cohorts.length === 0 ? 'no cohorts' : JSON.stringify(cohorts);

/** The sandbox's TrafficRouter over the control API at one URL. Holds no connection of its own. */
export class SandboxRouter implements TrafficRouter {
  readonly target: string;
  private readonly client: ControlClient;

  /** `url` is the control API's base URL (the router spec's `url`), e.g. http://127.0.0.1:8089. */
  constructor(url: string, options: ControlClientOptions = {}) {
    this.client = new ControlClient(url, options);
    this.target = this.client.target;
  }

  async initialize(cohorts: Cohort[]): Promise<void> {
    await this.writeWeights(ALL_ON_STABLE);
    await this.writeCohorts(cohorts);
  }

  /** The control API answers (it is the local stack's own, so nothing else can be wrong). */
  async preflight(): Promise<PreflightProblem[]> {
    const state = await this.client.stateForPreflight();
    return 'generation' in state ? [] : [state];
  }

  async getWeights(): Promise<Weights> {
    return (await this.client.state()).weights;
  }

  async setWeights(weights: Weights): Promise<Weights> {
    assertValidWeights(weights, this.target);
    return this.writeWeights(weights);
  }

  /** Traffic leaves the canary first, then the cohort routes go; both are read back. */
  async finalize(): Promise<Weights> {
    await this.writeWeights(ALL_ON_STABLE);
    await this.writeCohorts([]);
    const state = await this.client.state();
    return verifyWeights(this.target, ALL_ON_STABLE, state.weights);
  }

  private async writeWeights(weights: Weights): Promise<Weights> {
    const { stable, canary } = weights;
    await this.client.update((state) =>
      state.weights.stable === stable && state.weights.canary === canary
        ? null
        : { method: 'PUT', path: '/weights', body: { stable, canary } },
    );
    return verifyWeights(this.target, weights, (await this.client.state()).weights);
  }

  private async writeCohorts(cohorts: Cohort[]): Promise<void> {
    await this.client.update((state) => {
      if (sameCohorts(state.cohorts, cohorts)) return null;
      return cohorts.length === 0
        ? { method: 'DELETE', path: '/cohorts' }
        : { method: 'PUT', path: '/cohorts', body: { cohorts } };
    });
    const readBack = (await this.client.state()).cohorts;
    if (!sameCohorts(readBack, cohorts)) {
      throw new RouteVerificationError(
        this.target,
        describeCohorts(cohorts),
        describeCohorts(readBack),
      );
    }
  }
}
