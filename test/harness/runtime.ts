/** The Temporal Runtime for tests and tools: warnings and errors only. */
import { DefaultLogger, Runtime } from '@temporalio/worker';

// Worker state changes at INFO would drown test output; warnings and errors still show.
let runtimeInstalled = false;
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by another module in this process
  }
}
