// Installs npm dependencies when they are missing or the lockfile changed since the last install;
// a fast no-op otherwise. Installs the lockfile's versions with `npm install --no-save`, not
// `npm ci`: the registry reachable here serves only this platform's optional packages (e.g.
// @swc/core-linux-x64-gnu but not -darwin-arm64), so the lockfile cannot list the others and
// `npm ci` refuses it as out of sync, while `npm install` installs exactly the locked versions.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.mjs';
import { run } from './proc.mjs';

/** `npm install` arguments; the Dockerfile installs the same way (plus --omit=dev). */
export const NPM_INSTALL_ARGS = ['install', '--no-save', '--no-audit', '--no-fund'];

const stampFile = join(repoRoot, 'node_modules', '.canary-engine-install');

function lockDigest() {
  const hash = createHash('sha256');
  for (const name of ['package.json', 'package-lock.json']) {
    const file = join(repoRoot, name);
    if (existsSync(file)) hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

export function ensureNodeModules({ log = (m) => console.error(m) } = {}) {
  const digest = lockDigest();
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === digest) return;
  log("[setup] installing npm dependencies (the lockfile's versions)");
  run('npm', NPM_INSTALL_ARGS, { cwd: repoRoot });
  writeFileSync(stampFile, digest);
}
