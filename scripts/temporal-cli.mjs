#!/usr/bin/env node
// Finds the `temporal` CLI (which embeds the dev server), or builds it. Used by `npm start`,
// `npm test` and CI. Order: $TEMPORAL_CLI_PATH, PATH, the cache directory, else
// `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` into the cache (v1.5.1 is the newest
// tag without a replace directive, so `go install` can build it from the module proxy).
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheDir } from './lib/paths.mjs';
import { isExecutable, onPath, run } from './lib/proc.mjs';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

const HOW_TO_INSTALL = `Install the Temporal CLI by hand (any of):
  - set TEMPORAL_CLI_PATH to an existing \`temporal\` binary;
  - put \`temporal\` on PATH (https://docs.temporal.io/cli#install);
  - install Go (https://go.dev/dl/) and run this again: it builds
    ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} into ${join(cacheDir(), 'bin')}.`;

/** Path of a usable `temporal` binary, building it if needed. Throws with install advice. */
export function ensureTemporalCli({ quiet = false } = {}) {
  const log = quiet ? () => {} : (msg) => console.error(`[temporal-cli] ${msg}`);
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(
      `TEMPORAL_CLI_PATH is set to ${fromEnv}, which is not an executable file.\n${HOW_TO_INSTALL}`,
    );
  }
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const binDir = join(cacheDir(), 'bin');
  const cached = join(binDir, 'temporal');
  if (isExecutable(cached)) return cached;

  const go = onPath('go');
  if (!go)
    throw new Error(
      `No \`temporal\` binary was found and Go is not installed, so it cannot be built.\n${HOW_TO_INSTALL}`,
    );
  mkdirSync(binDir, { recursive: true });
  log(
    `building ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} into ${binDir} (first run only; takes a few minutes)`,
  );
  const started = Date.now();
  run(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
    env: {
      ...process.env,
      GOBIN: binDir,
      CGO_ENABLED: process.env.CGO_ENABLED ?? '0',
      GOFLAGS: '-buildvcs=false',
    },
  });
  if (!existsSync(cached))
    throw new Error(`go install finished but ${cached} is missing.\n${HOW_TO_INSTALL}`);
  log(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return cached;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    console.log(ensureTemporalCli());
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
