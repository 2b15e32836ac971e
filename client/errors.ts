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
  ) {
    super(
      releaseId,
      `release ${runningReleaseId ?? '(unknown id)'} is already running for service ${namespace}/${service} (workflow ${workflowId})`,
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
  static onStart(releaseId: string, workflowStatus: string): ReleaseEndedError {
    return new ReleaseEndedError(
      releaseId,
      `release ${releaseId} already ran and has ended (workflow ${workflowStatus}); a release id names one release, so choose a new releaseId`,
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
