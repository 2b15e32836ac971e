// Installs npm dependencies when they are missing or older than the lockfile; fast no-op otherwise.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.mjs';
import { run } from './proc.mjs';

export function ensureNodeModules({ log = (m) => console.error(m) } = {}) {
  const lock = join(repoRoot, 'package-lock.json');
  const marker = join(repoRoot, 'node_modules', '.package-lock.json');
  const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs)
    || statSync(join(repoRoot, 'package.json')).mtimeMs > statSync(marker).mtimeMs;
  if (!stale) return;
  const ci = existsSync(lock);
  log(`[setup] installing npm dependencies (${ci ? 'npm ci' : 'npm install'})`);
  run('npm', [ci ? 'ci' : 'install', '--no-audit', '--no-fund'], { cwd: repoRoot });
}
