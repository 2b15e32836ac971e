#!/usr/bin/env node
// Finds a Prometheus server binary, installing Debian's `prometheus` package when there is none.
// Used by `npm test`, CI and the metrics test harness. Order: $PROMETHEUS_PATH, then `prometheus`
// on PATH (or /usr/bin, /usr/local/bin), else `apt-get install -y prometheus` (with `apt-get update`
// when needed), as root or through non-interactive `sudo -n` (aptInstall in lib/proc.mjs). As a
// CLI it prints the binary's path.
//
// The Debian package's install script may start a system Prometheus service on :9090. Nothing of
// ours uses it: the test harness always starts its own server on a free loopback port with its
// own configuration and data directory.
import { pathToFileURL } from 'node:url';
import { aptInstall, isExecutable, onPath } from './lib/proc.mjs';

const HOW_TO_INSTALL = `Prometheus is needed by the metrics tests and the sandbox. Install it by hand (any of):
  - sudo apt-get update && sudo apt-get install -y prometheus   (Debian, Ubuntu);
  - download a release from https://prometheus.io/download/ and set PROMETHEUS_PATH to its \`prometheus\` binary.`;

/** `prometheus` on PATH, or where Debian and manual installs put it when PATH is minimal. */
function findOnMachine() {
  return (
    onPath('prometheus') ?? ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find(isExecutable)
  );
}

/** Path of a Prometheus server binary, installing Debian's package if needed. Throws with install advice. */
export async function ensurePrometheus({ quiet = false } = {}) {
  const log = quiet ? () => {} : (msg) => console.error(`[prometheus] ${msg}`);
  const fromEnv = process.env.PROMETHEUS_PATH;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(
      `PROMETHEUS_PATH is set to ${fromEnv}, which is not an executable file.\n${HOW_TO_INSTALL}`,
    );
  }
  const found = findOnMachine();
  if (found) return found;
  log('no prometheus binary found; trying the Debian package "prometheus"');
  if (aptInstall(['prometheus'], { log })) {
    const installed = findOnMachine();
    if (installed) return installed;
  }
  throw new Error(
    `No Prometheus binary was found, and installing Debian's "prometheus" package did not work.\n${HOW_TO_INSTALL}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    console.log(await ensurePrometheus());
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
