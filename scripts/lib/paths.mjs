// Where the project keeps things outside the repository: binaries it builds (shared by every
// clone on the machine) and, for the local stack, a data directory inside the project.
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The cache for binaries the project provisions: $CANARY_CACHE_DIR, else $XDG_CACHE_HOME/canary-engine. */
export function cacheDir() {
  if (process.env.CANARY_CACHE_DIR) return process.env.CANARY_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'canary-engine');
}
