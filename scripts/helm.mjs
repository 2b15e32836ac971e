#!/usr/bin/env node
// Finds the `helm` CLI, or builds it, so that the chart tests (helm lint, helm template) run on any
// machine with Go, like the Temporal CLI. Order: $HELM_PATH, PATH, the cache directory, else
// `go install helm.sh/helm/v4/cmd/helm@v4.3.2` into the cache (v4.3.2 is the newest v4 tag on the
// module proxy; its go.mod has no replace directive, so `go install` builds it as published).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheDir } from './lib/paths.mjs';
import { isExecutable, onPath, run } from './lib/proc.mjs';

export const HELM_MODULE = 'helm.sh/helm/v4/cmd/helm';
export const HELM_VERSION = 'v4.3.2';

const HOW_TO_INSTALL = `Install helm by hand (any of):
  - set HELM_PATH to an existing \`helm\` v4 binary;
  - put \`helm\` on PATH (https://helm.sh/docs/intro/install/);
  - install Go (https://go.dev/dl/) and run this again: it builds
    ${HELM_MODULE}@${HELM_VERSION} into ${join(cacheDir(), 'bin')}.`;

/**
 * Locates `helm` without building it ($HELM_PATH, PATH, cache); undefined when absent. Tests use
 * this so that they never start a long build themselves.
 */
export function findHelm() {
  const fromEnv = process.env.HELM_PATH;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(
      `HELM_PATH is set to ${fromEnv}, which is not an executable file.\n${HOW_TO_INSTALL}`,
    );
  }
  const cached = join(cacheDir(), 'bin', 'helm');
  return onPath('helm') ?? (isExecutable(cached) ? cached : undefined);
}

/** Path of a usable `helm` binary, building it if needed. Throws with install advice. */
export function ensureHelm({ quiet = false } = {}) {
  const log = quiet ? () => {} : (msg) => console.error(`[helm] ${msg}`);
  const found = findHelm();
  if (found) return found;

  const go = onPath('go');
  if (!go)
    throw new Error(
      `No \`helm\` binary was found and Go is not installed, so it cannot be built.\n${HOW_TO_INSTALL}`,
    );
  const binDir = join(cacheDir(), 'bin');
  const target = join(binDir, 'helm');
  mkdirSync(binDir, { recursive: true });
  log(
    `building ${HELM_MODULE}@${HELM_VERSION} into ${binDir} (first run only; takes a few minutes)`,
  );
  const started = Date.now();
  // helm's own version string says only "v4.3" unless the release build's -X is given
  const ldflags = `-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}`;
  run(go, ['install', '-trimpath', `-ldflags=${ldflags}`, `${HELM_MODULE}@${HELM_VERSION}`], {
    env: {
      ...process.env,
      GOBIN: binDir,
      CGO_ENABLED: process.env.CGO_ENABLED ?? '0',
      GOFLAGS: '-buildvcs=false',
    },
  });
  if (!existsSync(target))
    throw new Error(`go install finished but ${target} is missing.\n${HOW_TO_INSTALL}`);
  log(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return target;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    console.log(ensureHelm());
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
