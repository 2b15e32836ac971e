/**
 * The workload managers' errors, apart from the Kubernetes API's own (kube/errors.ts): a
 * Deployment that cannot be changed as the spec asks, or did not become ready in time. Each names
 * the Deployment as `namespace/Kind/name`; the kind says which of the two it is.
 */
import { EngineError, type EngineErrorOptions } from '../../core/errors.js';
import type { PreflightProblem } from '../../core/preflight.js';
import { KubeError } from '../kube/errors.js';

/** A Deployment did not become ready in time, or cannot be changed as the spec asks. */
export class WorkloadError extends KubeError {
  constructor(message: string, options: EngineErrorOptions & { object: string }) {
    super(message, options);
  }
}

/** The stable Deployment did not finish rolling out the promoted version before the deadline. */
export class PromotionError extends WorkloadError {}

/** A workloads type this worker cannot build (e.g. "sandbox" on a worker without the sandbox). */
export class UnsupportedWorkloadsError extends EngineError {
  constructor(type: string, detail: string) {
    super(`workloads type "${type}" is not available: ${detail}`, {
      kind: 'config',
      nonRetryable: true,
      object: 'workloads.type',
    });
  }
}

/**
 * The stable version could not be read from the stable Deployment (no `version` label on its pod
 * template), or it is already the canary's. Raised before anything changes; the activity reports
 * it as a pre-flight refusal (core/preflight.ts PreflightRejectedError) with `problem`.
 */
export class StableVersionUnknownError extends WorkloadError {
  constructor(readonly problem: PreflightProblem) {
    super(`${problem.object} ${problem.message}`, {
      kind: 'config',
      nonRetryable: true,
      object: problem.object,
    });
  }
}

/**
 * The canary Deployment the spec asks for cannot be built or promoted from the stable one (an
 * image for a container it does not have, a patch that changes its selector labels, a selector
 * holding `version`), or a Deployment of the canary's name exists that the engine did not create.
 * The message names the spec field.
 */
export class CanaryDeploymentError extends WorkloadError {
  constructor(message: string, object: string, kind: 'config' | 'forbidden' = 'config') {
    super(message, { kind, nonRetryable: true, object });
  }
}
