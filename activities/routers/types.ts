/**
 * TrafficRouter: the one thing a canary engine must never get wrong. Implementations (one per
 * file: istio.ts, gateway-api.ts, nginx.ts, traefik.ts, and the sandbox's) all pass the same
 * contract suite (test/contract/traffic-router.contract.ts). The interface holds only what the
 * engine calls: cohort routes come with initialize and go with finalize.
 */
import type { Cohort } from '../../core/routing/config.js';
import type { Weights } from '../../core/types.js';
import type { PreflightProblem } from '../../core/preflight.js';
import type { ReleaseSpec } from '../../core/spec.js';

export interface TrafficRouter {
  /** The object managed, for messages: "default/VirtualService/reviews". */
  readonly target: string;
  /**
   * Prepares routing for a release: creates any canary-only objects (e.g. NGINX's canary Ingress)
   * with all traffic on stable, and adds the cohort match routes in front of the weighted route
   * (replacing ours from before). Idempotent.
   */
  initialize(cohorts: Cohort[]): Promise<void>;
  /** Reads the current weights from the cluster. */
  getWeights(): Promise<Weights>;
  /**
   * Validates, writes optimistically (retrying on conflicts), reads back and checks. Returns the
   * weights read back. Throws a non-retryable RouterError for missing objects or invalid weights.
   */
  setWeights(weights: Weights): Promise<Weights>;
  /**
   * Ends a release's routing: all traffic on stable, cohort routes removed, canary-only objects
   * deleted, verified by reading back. Idempotent; used after both promotion and rollback.
   */
  finalize(): Promise<Weights>;
  /**
   * Everything that stands in the way of `release`, checked before its first change and without
   * changing anything: the objects it names exist and, when it changes them, opt in to the
   * release's service (activities/kube/opt-in.ts); they have the shape the spec describes; the
   * worker may do what the release will do to them; the backend answers. Throws only errors a
   * retry may fix. Each provider says where it checks more (see its file).
   */
  preflight?(release: ReleaseSpec): Promise<PreflightProblem[]>;
}
