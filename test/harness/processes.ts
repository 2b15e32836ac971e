/**
 * Child processes of the Kubernetes test harness (etcd, kube-apiserver, kube-controller-manager):
 * launched detached in their own process group with output to a log file, probed until ready,
 * stopped with SIGTERM (SIGKILL after 5 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

export interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
}

/** Starts `binary` in `dir`, appending its stdout and stderr to `<dir>/<name>.log`. */
export function launch(name: string, binary: string, args: string[], dir: string): Proc {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(binary, args, { cwd: dir, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  return { name, child, log };
}

export function exited(proc: Proc): boolean {
  return proc.child.exitCode !== null || proc.child.signalCode !== null;
}

/** Polls `probe` every 150 ms until it answers true; throws when the process exits or time is up. */
export async function waitFor(
  proc: Proc,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited(proc)) {
      throw new Error(
        `${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}) while starting`,
      );
    }
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${proc.name} was not ready within ${timeoutMs / 1000} s`);
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/**
 * GET over TLS without verifying the (not yet known) self-signed certificate: readiness only.
 * Without a token the request is anonymous (health paths that are always allowed).
 */
export function httpsOk(url: string, token?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        rejectUnauthorized: false,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** SIGTERM to the process group, SIGKILL after 5 s; resolves when the process has exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  // launch() unrefs the child: ref it while waiting, or a caller with nothing else pending would
  // see Node exit before the child's exit event arrives
  child.ref();
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
