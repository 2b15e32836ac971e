/**
 * Which Kubernetes objects the engine may change: those that opt in — a label or annotation
 * `canary-engine.io/service: <service>` naming the release's service — and those it created itself
 * (the managed-by label the routers put on their objects). The one rule for the pre-flight of every
 * router and workload manager, so that a deployer cannot name another team's Deployment or route
 * in a spec and have the engine scale or rewrite it.
 */
import {
  describeRef,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  type KubeObject,
  type ObjectRef,
} from './object-model.js';
import type { PreflightProblem } from '../../core/preflight.js';

/** The label (or annotation) by which an object opts in to releases of one service. */
export const SERVICE_OPT_IN_KEY = 'canary-engine.io/service';

/** True when the engine may change `object` in a release of `service`. */
export function optsIn(object: KubeObject, service: string): boolean {
  const { labels, annotations } = object.metadata;
  return (
    labels?.[SERVICE_OPT_IN_KEY] === service ||
    annotations?.[SERVICE_OPT_IN_KEY] === service ||
    labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE
  );
}

/**
 * What is wrong with `object` (found at `ref`) for a release of `service`, for the pre-flight's
 * list (activities/kube/preflight-checks.ts); undefined when the engine may change it.
 */
export function optInProblem(
  object: KubeObject,
  ref: ObjectRef,
  service: string,
): PreflightProblem | undefined {
  if (optsIn(object, service)) return undefined;
  const found =
    object.metadata.labels?.[SERVICE_OPT_IN_KEY] ??
    object.metadata.annotations?.[SERVICE_OPT_IN_KEY];
  const why =
    found === undefined
      ? `has no ${SERVICE_OPT_IN_KEY} label or annotation`
      : `opts in to service "${found}", not "${service}"`;
  return {
    object: describeRef(ref),
    message: `${why}: the release of ${service} may change only objects that opt in (label or annotation ${SERVICE_OPT_IN_KEY}: ${service}) or that canary-engine created`,
  };
}
