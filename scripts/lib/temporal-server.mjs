// Starts and stops a Temporal dev server (`temporal server start-dev`) with the search attributes
// it is given (canary-engine's come from workflows/messages.ts, through stack/temporal.ts). Used by
// the local stack (persistent SQLite file in .data/) and the test harness (a temp file). Node
// builtins only.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { sleep } from './proc.mjs';

/**
 * Starts a dev server and waits until the `default` namespace answers.
 * @param {{ cli: string, port: number, uiPort?: number, dbFile: string, logFile?: string, headless?: boolean, ip?: string, startTimeoutMs?: number, searchAttributes: Record<string, string> }} options
 * @returns {Promise<{ address: string, uiUrl: string | null, pid: number, stop: () => Promise<void> }>}
 */
export async function startTemporalDevServer({
  cli,
  port,
  uiPort,
  dbFile,
  logFile,
  headless = false,
  ip = '127.0.0.1',
  startTimeoutMs = 120_000,
  searchAttributes,
}) {
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--db-filename',
    dbFile,
    '--log-level',
    'warn',
  ];
  if (headless) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  for (const [key, type] of Object.entries(searchAttributes))
    args.push('--search-attribute', `${key}=${type}`);
  mkdirSync(dirname(dbFile), { recursive: true });
  let out = 'ignore';
  if (logFile) {
    mkdirSync(dirname(logFile), { recursive: true });
    out = openSync(logFile, 'a');
  }
  // Its own process group, so stop() takes down anything it spawned and Ctrl-C in a terminal
  // reaches it only through us (we stop it gracefully).
  const child = spawn(cli, args, { stdio: ['ignore', out, out], detached: true });
  if (typeof out === 'number') closeSync(out);
  let exited = null;
  const exitPromise = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  const address = `${ip}:${port}`;

  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 10_000);
    await exitPromise;
    clearTimeout(timer);
  };

  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (exited)
      throw new Error(
        `temporal dev server exited during start-up (${JSON.stringify(exited)})${logFile ? `; see ${logFile}` : ''}`,
      );
    const probe = spawnSync(
      cli,
      [
        'operator',
        'namespace',
        'describe',
        '--namespace',
        'default',
        '--address',
        address,
        '--command-timeout',
        '3s',
      ],
      { stdio: 'ignore' },
    );
    if (probe.status === 0) {
      return {
        address,
        uiUrl: headless ? null : `http://${ip === '0.0.0.0' ? '127.0.0.1' : ip}:${uiPort}`,
        pid: child.pid,
        stop,
      };
    }
    await sleep(250);
  }
  await stop();
  throw new Error(
    `temporal dev server did not become ready on ${address} within ${startTimeoutMs / 1000} s${logFile ? `; see ${logFile}` : ''}`,
  );
}
