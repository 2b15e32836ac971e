/** The Temporal Runtime for tests and tools: errors only. */
import { DefaultLogger, Runtime } from '@temporalio/worker';

// Tests fail workflows and activities on purpose; the SDK's warnings about them would drown the
// output. Errors still show.
let runtimeInstalled = false;
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // already installed by another module in this process
  }
}
