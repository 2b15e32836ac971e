/**
 * One place where provider errors become Temporal failures. Routers, workload managers and
 * metrics providers mark errors that retrying cannot fix (`nonRetryable: true`, or a metrics
 * error that is not retryable); those fail the activity at once instead of being retried.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { JudgeInputError } from '../core/judge/index.js';
import { MetricsError } from './metrics/errors.js';

export function toActivityFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof MetricsError) {
    return ApplicationFailure.create({ type: error.name, message: error.message, nonRetryable: !error.retryable, cause: error });
  }
  if (error instanceof JudgeInputError) {
    return ApplicationFailure.create({ type: error.name, message: `the judge rejected its input: ${error.message}`, nonRetryable: true, cause: error });
  }
  if (error instanceof Error && (error as { nonRetryable?: unknown }).nonRetryable === true) {
    return ApplicationFailure.create({ type: error.name, message: error.message, nonRetryable: true, cause: error });
  }
  return error;
}

/** Runs an activity body, converting provider errors on the way out. */
export async function converting<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toActivityFailure(error);
  }
}
