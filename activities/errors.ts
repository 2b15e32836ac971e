/**
 * One place where engine errors become Temporal failures, by one rule: an EngineError (core/errors.ts)
 * becomes an ApplicationFailure of the same type and message, non-retryable exactly when the error
 * is, with its kind and object in the failure's details so the workflow can explain it
 * (core/errors.ts failureDetails). A pre-flight refusal also carries its problems, as a second
 * detail (core/preflight.ts preflightProblems). Anything else is left to Temporal (retried).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { detailsOf, EngineError } from '../core/errors.js';
import { PreflightRejectedError } from '../core/preflight.js';

export function toActivityFailure(error: unknown): unknown {
  if (!(error instanceof EngineError)) return error;
  const more =
    error instanceof PreflightRejectedError
      ? [{ problems: error.problems.map(({ object, message }) => ({ object, message })) }]
      : [];
  return ApplicationFailure.create({
    type: error.name,
    message: error.message,
    nonRetryable: error.nonRetryable,
    details: [detailsOf(error), ...more],
    cause: error,
  });
}

/** Runs an activity body, converting provider errors on the way out. */
export async function converting<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toActivityFailure(error);
  }
}
