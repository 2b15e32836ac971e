/**
 * What the routes share: the resolved dependencies of one app, the Hono environment type, and the
 * views that turn Temporal's records into the API's JSON (links, status, list entries).
 */
import type { MetricsProvider } from '../activities/metrics/types.js';
import type { EngineCapabilities } from '../core/capabilities.js';
import type { ReleaseSpec } from '../core/spec.js';
import type { Authenticator, AuthVariables, Caller } from './auth.js';
import { releaseTarget, requireScope } from './scopes.js';
import { found } from '../client/reads.js';
import type { ApiMetrics } from './metrics.js';
import type { ReleaseStatusResponse, ReleaseSummary } from './schemas.js';
import type { LocatedRelease, RawExecution, TemporalGateway } from './temporal.js';
import type { ReleaseStatus } from '../workflows/messages.js';

/** Where the API logs what an operator must see (pino's logger fits). Tokens are never logged. */
export interface ApiLogger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
  warn?(fields: object, message: string): void;
  debug?(fields: object, message: string): void;
}

export interface RouteDeps {
  gateway: TemporalGateway;
  taskQueue: string;
  /** Who a request comes from: static tokens, OIDC JWTs, the dashboard's session (requireRole). */
  tokens: Authenticator;
  /** What this engine accepts (sandbox mode, metrics sources); specs are checked against it. */
  capabilities: EngineCapabilities;
  /** Base URL of the Temporal UI, without a trailing slash. */
  temporalUiUrl: string;
  metrics: ApiMetrics;
  clock: () => number;
  /** How often the event stream polls the status query. */
  streamPollMs: number;
  /** How long a repair request waits for the repair before answering 202. */
  repairWaitMs: number;
  maxBodyBytes: number;
  /** Aborted when the server shuts down: event streams end. */
  shutdown: AbortSignal;
  logger: ApiLogger;
  /**
   * The metrics provider of a release at the operator's sources (activities/metrics/
   * factory.ts metricsProviders), for the dashboard's per-bucket series; undefined: none (the charts then
   * show the decisions' per-look numbers).
   */
  metricsFor: ((spec: ReleaseSpec) => MetricsProvider) | undefined;
}

export type AppEnv = { Variables: AuthVariables };

export interface ReleaseLinks {
  self: string;
  events: string;
  temporalUi: string;
}

export function releaseLinks(
  deps: RouteDeps,
  releaseId: string,
  workflowId: string,
  runId: string,
): ReleaseLinks {
  const self = `/v1/releases/${encodeURIComponent(releaseId)}`;
  return {
    self,
    events: `${self}/events`,
    temporalUi: `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.gateway.namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}`,
  };
}

/** Time left in the observation window as of now (the workflow's own figure is as of its last task). */
export function timeLeftMs(status: ReleaseStatus, now: number): number | null {
  if (status.windowEndsAt !== null && !status.paused)
    return Math.max(0, Date.parse(status.windowEndsAt) - now);
  return status.windowRemainingMs;
}

export function statusView(
  deps: RouteDeps,
  release: LocatedRelease,
  status: ReleaseStatus,
): ReleaseStatusResponse {
  return {
    ...status,
    id: release.releaseId,
    workflowId: release.workflowId,
    runId: release.runId,
    running: release.running,
    timeLeftMs: timeLeftMs(status, deps.clock()),
    links: releaseLinks(deps, release.releaseId, release.workflowId, release.runId),
  };
}

const text = (value: string | number | undefined): string | null =>
  typeof value === 'string' ? value : null;

export function summaryView(deps: RouteDeps, execution: RawExecution): ReleaseSummary {
  const id = text(execution.attributes.CanaryReleaseId) ?? execution.workflowId;
  const weight = execution.attributes.CanaryWeight;
  return {
    id,
    service: text(execution.attributes.CanaryService),
    namespace: text(execution.attributes.CanaryNamespace),
    stableVersion: execution.stableVersion,
    canaryVersion: text(execution.attributes.CanaryVersion),
    phase: text(execution.attributes.CanaryPhase),
    weight: typeof weight === 'number' ? weight : null,
    workflowStatus: execution.status,
    startedAt: execution.startTime.toISOString(),
    closedAt: execution.closeTime ? execution.closeTime.toISOString() : null,
    workflowId: execution.workflowId,
    runId: execution.runId,
    links: releaseLinks(deps, id, execution.workflowId, execution.runId),
  };
}

/**
 * The release with this id when the caller's scopes reach it: ReleaseNotFoundError (a 404 problem)
 * when there is none, a 403 problem naming the scopes when it lies outside them (api/scopes.ts).
 * `what` is the attempt, for the message ("read", "approve").
 */
export async function locateInScope(
  deps: RouteDeps,
  caller: Caller,
  id: string,
  what: string,
  options: { fresh?: boolean } = {},
): Promise<LocatedRelease> {
  const release = await locateOr404(deps, id, options);
  requireScope(caller, releaseTarget(release.workflowId), `${what} release ${release.releaseId}`);
  return release;
}

/** The release with this id, or ReleaseNotFoundError (a 404 problem). */
export async function locateOr404(
  deps: RouteDeps,
  id: string,
  options: { fresh?: boolean } = {},
): Promise<LocatedRelease> {
  return found(await deps.gateway.locate(id, options), id);
}
