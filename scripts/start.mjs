#!/usr/bin/env node
// `npm start`: set-up (npm dependencies, Temporal CLI, the dashboard's bundle), then the local stack (stack/main.ts):
// Temporal dev server with persistence in .data/ (UI on :8233), the worker, the API on $PORT
// (8080), and in sandbox mode the sandbox with a real Prometheus. The stack decides the mode
// (stackMode in stack/index.ts) and finds or installs Prometheus itself when it needs one.
// Idempotent; fast when everything is in place. Ctrl-C or SIGTERM stops everything it started.
import { ensureNodeModules } from './lib/deps.mjs';

try {
  ensureNodeModules();
  if (!process.env.TEMPORAL_ADDRESS) {
    const { ensureTemporalCli } = await import('./temporal-cli.mjs');
    process.env.TEMPORAL_CLI_PATH = ensureTemporalCli();
  }
  const { buildUi } = await import('./ui-build.mjs');
  await buildUi({ quiet: true });
} catch (error) {
  console.error(`[start] set-up failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}

const { register } = await import('tsx/esm/api');
register();
await import('../stack/main.ts');
