/**
 * `npm start` (after scripts/start.mjs's set-up): runs the local stack until Ctrl-C or SIGTERM,
 * then stops everything it started. A second Ctrl-C exits at once. In sandbox mode the stack finds
 * Prometheus itself ($PROMETHEUS_PATH, PATH, else Debian's package).
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { join } from 'node:path';
import { repoRoot } from '../scripts/lib/paths.mjs';
import { loadEngineEnv } from '../worker/config.js';
import { startStack } from './index.js';

// the SDK's own logs at WARN (worker state changes and bundler output would drown what matters);
// no SDK signal handlers: this process decides the shutdown order itself
Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
let env;
try {
  env = loadEngineEnv();
} catch (error) {
  console.error(`[stack] ${(error as Error).message}`);
  process.exit(2);
}
const dataDir = env.CANARY_DATA_DIR ?? join(repoRoot, '.data');
let stack;
try {
  stack = await startStack({
    env,
    dataDir,
    ...(process.env.TEMPORAL_CLI_PATH ? { temporalCli: process.env.TEMPORAL_CLI_PATH } : {}),
  });
} catch (error) {
  console.error(`[stack] could not start: ${(error as Error).message}`);
  process.exit(1);
}

console.error(`
canary-engine is running (${stack.mode} mode)
  API          ${stack.apiUrl}   (explorer: ${stack.apiUrl}/docs)
  Temporal UI  ${stack.temporalUiUrl ?? '(external server)'}
  Temporal     ${stack.temporalAddress}${stack.prometheusUrl ? `\n  Prometheus   ${stack.prometheusUrl}` : ''}${stack.sandboxUrl ? `\n  Sandbox      ${stack.sandboxUrl}` : ''}
  ${stack.tokensMessage}
Try the quickstart in README.md. Ctrl-C stops everything.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      console.error('[stack] second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    console.error(`[stack] ${signal}: stopping (API drains, worker hands back its tasks)…`);
    stack.stop().then(
      () => {
        console.error('[stack] stopped');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`[stack] stop failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  });
}
