/**
 * Why starting, finding or acting on a release was refused: one class per condition, each naming
 * the release (and the workflow where it matters). The API maps each to one problem response
 * (api/problems.ts); benchmarks, tests and scripts catch them by class.
 */

/** The base of every refusal of the release client; `releaseId` is the release the caller named. */
export abstract class ReleaseClientError extends Error {
  constructor(
    readonly releaseId: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Another release is already running for the service. */
export class ReleaseConflictError extends ReleaseClientError {
  constructor(
    releaseId: string,
    readonly workflowId: string,
    readonly runningReleaseId: string | undefined,
    service: string,
    namespace: string,
    /** What runs is the repair of that release (workflows/repair.ts), not the release itself. */
    readonly repairRunning = false,
  ) {
    const id = runningReleaseId ?? '(unknown id)';
    super(
      releaseId,
      repairRunning
        ? `the repair of release ${id} is running for service ${namespace}/${service} (workflow ${workflowId}); start again once it has ended`
        : `release ${id} is already running for service ${namespace}/${service} (workflow ${workflowId})`,
    );
  }
}

/**
 * The release id already names a release of another service: an id names one release, so CI
 * pipelines that deploy several services must put the service in the id.
 */
export class ReleaseIdTakenError extends ReleaseClientError {
  constructor(
    releaseId: string,
    readonly workflowId: string,
  ) {
    super(
      releaseId,
      `release id ${releaseId} already names a release of another service (workflow ${workflowId}); choose an id that includes the service`,
    );
  }
}

/** The release has ended: it cannot be started again, nor acted on. */
export class ReleaseEndedError extends ReleaseClientError {
  /** A start of a release id whose release already ran (`workflowStatus`: how its workflow closed). */
  static onStart(releaseId: string, workflowStatus: string, more = ''): ReleaseEndedError {
    return new ReleaseEndedError(
      releaseId,
      `release ${releaseId} already ran and has ended (workflow ${workflowStatus}); a release id names one release, so choose a new releaseId${more}`,
    );
  }

  /** An action on a release that has ended (`phase`: its final phase, or how its workflow closed). */
  static onAction(releaseId: string, action: string, phase: string): ReleaseEndedError {
    return new ReleaseEndedError(
      releaseId,
      `cannot ${action} release ${releaseId}: the release has already ended (${phase})`,
    );
  }
}

/** No release has this id. */
export class ReleaseNotFoundError extends ReleaseClientError {
  constructor(releaseId: string) {
    super(releaseId, `no release has the id "${releaseId}"`);
  }
}

/** The running release refused the action (its update validator's reason, e.g. no gate is pending). */
export class ActionNotApplicableError extends ReleaseClientError {
  constructor(
    releaseId: string,
    readonly action: string,
    readonly reason: string,
  ) {
    super(releaseId, `cannot ${action} release ${releaseId}: ${reason}`);
  }
}

/**
 * The release refused the action by one of its rules about people (four eyes: the starter may not
 * approve); `rule` names the spec field that set it.
 */
export class ActionForbiddenError extends ReleaseClientError {
  constructor(
    releaseId: string,
    readonly action: string,
    readonly rule: string,
    readonly reason: string,
  ) {
    super(releaseId, `cannot ${action} release ${releaseId}: ${reason}`);
  }
}

/** The command that repairs a service, as people type it. */
export function repairCommand(namespace: string, service: string): string {
  return `canary repair ${namespace}/${service}`;
}

/** How a blocking run's workflow ended, in words. */
const ENDINGS: Record<string, string> = {
  FAILED: 'ended Failed',
  TERMINATED: 'was terminated',
  TIMED_OUT: 'timed out',
};

/**
 * The service's last release ended Failed, was terminated or timed out (client/reads.ts
 * BLOCKING_STATUSES): routing and replicas may be as it left them, so no release starts on top of
 * it until `canary repair` has put the service back in order.
 */
export class ServiceBlockedError extends ReleaseClientError {
  constructor(
    releaseId: string,
    readonly workflowId: string,
    readonly blockingReleaseId: string | undefined,
    /** How the blocking run ended (Temporal's status: FAILED, TERMINATED, TIMED_OUT). */
    readonly workflowStatus: string,
    readonly namespace: string,
    readonly service: string,
    /** Why it ended, in its own words, when known. */
    endedBecause: string | undefined,
    /** The blocking run is a repair that failed. */
    repairFailed = false,
  ) {
    const which = blockingReleaseId ?? '(unknown id)';
    const what = repairFailed
      ? `the repair of release ${which} failed`
      : `release ${which} ${ENDINGS[workflowStatus] ?? `ended ${workflowStatus}`}`;
    super(
      releaseId,
      `service ${namespace}/${service} is blocked: ${what}${endedBecause ? ` (${endedBecause})` : ''}, and its routing and replicas may be as it left them; run \`${repairCommand(namespace, service)}\` to restore routing to stable and scale the canary down, then start again`,
    );
  }
}

/** Refusals of `canary repair`, which names a service, not a release. */
export abstract class RepairClientError extends Error {
  constructor(
    readonly namespace: string,
    readonly service: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The service's newest run does not block it: there is nothing to repair. */
export class NothingToRepairError extends RepairClientError {
  constructor(
    namespace: string,
    service: string,
    /** The service's last release and how its workflow ended; undefined when none ever ran. */
    readonly last?: { releaseId: string | undefined; workflowStatus: string; phase?: string },
  ) {
    const why = last
      ? `its last release ${last.releaseId ?? '(unknown id)'} ended ${last.phase ?? last.workflowStatus}, which leaves nothing to restore`
      : 'no release has run for it';
    super(namespace, service, `nothing to repair for service ${namespace}/${service}: ${why}`);
  }
}

/** A release or a repair is running for the service: a repair would race it. */
export class RepairConflictError extends RepairClientError {
  constructor(
    namespace: string,
    service: string,
    readonly workflowId: string,
    readonly runningReleaseId: string | undefined,
    readonly repairRunning: boolean,
  ) {
    const id = runningReleaseId ?? '(unknown id)';
    super(
      namespace,
      service,
      repairRunning
        ? `a repair of release ${id} is already running for service ${namespace}/${service} (workflow ${workflowId}); follow it with \`canary status ${id} --watch\``
        : `release ${id} is running for service ${namespace}/${service} (workflow ${workflowId}); there is nothing to repair while it runs — abort it with \`canary abort ${id} --reason ...\` to roll it back`,
    );
  }
}
