/**
 * Helpers for integration tests against the run's shared Temporal dev server.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';
import { quietRuntime } from './runtime.js';

/** A test environment on the shared dev server (never a mocked client). */
export async function connectTestEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({
    address: inject('temporalAddress'),
    namespace: 'default',
  });
}

let counter = 0;
/** A task queue no other test uses, so parallel test files never steal each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}
