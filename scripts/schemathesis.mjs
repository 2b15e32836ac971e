#!/usr/bin/env node
// Provisions schemathesis, the schema-aware API fuzzer that test/integration/api-fuzz.test.ts runs
// against /openapi.json: a Python venv in the cache with one pinned release from PyPI, so every
// machine fuzzes with the same checks. Idempotent: a venv whose `st` reports the pinned version is
// reused at once; anything else is rebuilt.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheDir } from './lib/paths.mjs';
import { isExecutable, onPath, run } from './lib/proc.mjs';

export const SCHEMATHESIS_VERSION = '4.32.5';

const HOW_TO_INSTALL = `Install schemathesis by hand (any of):
  - install Python 3.9+ with the venv module (Debian: apt-get install python3-venv) and run this again;
  - set SCHEMATHESIS_PATH to an existing \`st\` ${SCHEMATHESIS_VERSION} executable.`;

export function venvDir() {
  return join(cacheDir(), 'venv-schemathesis');
}

/** The version an `st` executable reports, or undefined when it does not run. */
function versionOf(st) {
  const result = spawnSync(st, ['--version'], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  return /(\d+\.\d+\.\d+)/.exec(result.stdout)?.[1];
}

/**
 * Locates a provisioned `st` without installing ($SCHEMATHESIS_PATH, else the cache venv);
 * undefined when absent. Tests use this so that they never start an install themselves.
 */
export function findSchemathesis() {
  const fromEnv = process.env.SCHEMATHESIS_PATH;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(
      `SCHEMATHESIS_PATH is set to ${fromEnv}, which is not an executable file.\n${HOW_TO_INSTALL}`,
    );
  }
  const st = join(venvDir(), 'bin', 'st');
  return isExecutable(st) && versionOf(st) === SCHEMATHESIS_VERSION ? st : undefined;
}

/** Path of a usable `st` (schemathesis CLI), installing it into the cache venv if needed. */
export function ensureSchemathesis({ quiet = false } = {}) {
  const log = quiet ? () => {} : (msg) => console.error(`[schemathesis] ${msg}`);
  const found = findSchemathesis();
  if (found) return found;
  const python = onPath('python3');
  if (!python) throw new Error(`python3 is not on PATH.\n${HOW_TO_INSTALL}`);
  const dir = venvDir();
  // a venv left half-built or at another version is rebuilt from scratch
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  log(`creating ${dir} with schemathesis==${SCHEMATHESIS_VERSION} (first run only)`);
  const started = Date.now();
  try {
    run(python, ['-m', 'venv', dir]);
    run(join(dir, 'bin', 'python'), [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      `schemathesis==${SCHEMATHESIS_VERSION}`,
    ]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${error instanceof Error ? error.message : error}\n${HOW_TO_INSTALL}`);
  }
  const st = join(dir, 'bin', 'st');
  if (versionOf(st) !== SCHEMATHESIS_VERSION)
    throw new Error(`pip finished but ${st} does not report ${SCHEMATHESIS_VERSION}.`);
  log(`installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return st;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    console.log(ensureSchemathesis());
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
