#!/usr/bin/env node
// Finds a headless-capable Chromium for the dashboard's browser tests and screenshots, installing
// Debian's `chromium` package when there is none. Nothing downloads a browser from elsewhere:
// playwright-core drives this binary by its path. Order: $CHROMIUM_PATH, then `chromium` on PATH
// (or /usr/bin), else `apt-get install -y chromium` (with `apt-get update` when needed), as root or
// through non-interactive `sudo -n` (aptInstall in lib/proc.mjs). Idempotent. As a CLI it prints
// the binary's path.
import { pathToFileURL } from 'node:url';
import { aptInstall, isExecutable, onPath } from './lib/proc.mjs';

const HOW_TO_INSTALL = `Chromium is needed by the dashboard's browser tests. Install it by hand (any of):
  - sudo apt-get update && sudo apt-get install -y chromium   (Debian; Ubuntu: a chromium package or snap);
  - set CHROMIUM_PATH to any Chromium or Chrome binary.`;

/** `chromium` on PATH, or where Debian puts it when PATH is minimal. */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : undefined;
  return (
    onPath('chromium') ??
    onPath('chromium-browser') ??
    ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(isExecutable)
  );
}

/** Path of a Chromium binary, installing Debian's package if needed. Throws with install advice. */
export function ensureChromium({ quiet = false } = {}) {
  const log = quiet ? () => {} : (msg) => console.error(`[chromium] ${msg}`);
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv && !isExecutable(fromEnv))
    throw new Error(
      `CHROMIUM_PATH is set to ${fromEnv}, which is not an executable file.\n${HOW_TO_INSTALL}`,
    );
  const found = findChromium();
  if (found) return found;
  log('no chromium binary found; trying the Debian package "chromium"');
  if (aptInstall(['chromium'], { log })) {
    const installed = findChromium();
    if (installed) return installed;
  }
  throw new Error(
    `No Chromium binary was found, and installing Debian's "chromium" package did not work.\n${HOW_TO_INSTALL}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    console.log(ensureChromium());
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
