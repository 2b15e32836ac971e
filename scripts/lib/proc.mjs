// Small process helpers shared by the provisioning and stack scripts (node builtins only).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** The first executable called `name` on PATH, or undefined. */
export function onPath(name) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to completion, inheriting output; throws with the command line on failure. */
export function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.error) throw new Error(`${cmd} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  return result;
}

/** A free TCP port on the loopback interface. */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on host:port right now. */
export function portInUse(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

/**
 * Installs Debian packages with apt-get as root, or through non-interactive `sudo -n` otherwise:
 * `apt-get install` first, and `apt-get update` then install again when that fails (the package
 * lists may be missing or stale). Returns false, without throwing, when apt-get is not there, when
 * neither root nor sudo is available (sudo -n fails when it would ask for a password), or when the
 * install fails; callers then try another way or explain how to install by hand.
 */
export function aptInstall(
  packages,
  { log = () => {}, root = typeof process.getuid === 'function' && process.getuid() === 0 } = {},
) {
  if (!onPath('apt-get')) return false;
  if (!root && !onPath('sudo')) return false;
  const asRoot = (args) => {
    const argv = [
      ...(root ? [] : ['sudo', '-n']),
      'env',
      'DEBIAN_FRONTEND=noninteractive',
      ...args,
    ];
    return (
      spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] }).status === 0
    );
  };
  const install = () =>
    asRoot(['apt-get', 'install', '-y', '--no-install-recommends', ...packages]);
  log(`installing ${packages.join(', ')} with apt-get${root ? '' : ' (through sudo -n)'}`);
  if (install()) return true;
  log('apt-get install failed; running apt-get update and trying again');
  return asRoot(['apt-get', 'update']) && install();
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
