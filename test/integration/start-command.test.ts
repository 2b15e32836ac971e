/**
 * `npm start` as a user runs it: the real scripts/start.mjs in a child process. It serves the API
 * and the Temporal UI, SIGTERM stops everything it started (no process left behind), and a second
 * start keeps the releases of the first (Temporal's SQLite file in the data directory).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portInUse } from '../../scripts/lib/proc.mjs';
import { api, freeStackEnv, TEST_TOKENS } from '../harness/stack.js';

const root = join(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'canary-start-'));
const running: ChildProcess[] = [];
afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(
  env: Record<string, string | undefined>,
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      CANARY_DATA_DIR: dataDir,
      CANARY_API_TOKENS: TEST_TOKENS,
      SANDBOX_RPS: '20',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const deadline = Date.now() + 120_000;
  while (!output.includes('canary-engine is running')) {
    if (child.exitCode !== null)
      throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Processes whose command line mentions the data directory (Temporal's and Prometheus's do). */
function processesUsing(dir: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((line) => line.includes(dir) && !line.includes('ps -eo'));
}

describe('npm start', () => {
  it('serves the API and the Temporal UI, stops everything on SIGTERM, and keeps releases across restarts', async () => {
    const env = await freeStackEnv();
    const first = await start(env);
    const apiUrl = `http://127.0.0.1:${env.PORT}`;
    expect((await fetch(`${apiUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`)).status).toBe(200);
    expect(first.output()).toContain('Temporal UI');

    const spec = {
      ...JSON.parse(readFileSync(join(root, 'examples', 'sandbox-gated.json'), 'utf8')),
      releaseId: 'survives-restart',
    };
    const created = await api(apiUrl, '/v1/releases', { method: 'POST', body: spec });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    expect(await stop(first.child)).toBe(0);
    for (const port of Object.values(env).filter((p) => p !== '0'))
      expect(await portInUse(Number(port)), `port ${port} is free`).toBe(false);
    expect(processesUsing(dataDir)).toEqual([]);

    // CANARY_MODE wins over KUBECONFIG, and the stack finds Prometheus itself (on PATH here, not
    // through PROMETHEUS_PATH, which the test runner may set)
    const prometheusPath = process.env.PROMETHEUS_PATH
      ? [dirname(process.env.PROMETHEUS_PATH)]
      : [];
    const second = await start({
      ...env,
      CANARY_MODE: 'sandbox',
      KUBECONFIG: join(dataDir, 'no-such-kubeconfig'),
      PROMETHEUS_PATH: undefined,
      PATH: [...prometheusPath, process.env.PATH].join(delimiter),
    });
    expect(second.output()).toContain('(sandbox mode)');
    expect(second.output()).toMatch(/Prometheus +http:\/\/127\.0\.0\.1:\d+/);
    const again = await api(apiUrl, '/v1/releases/survives-restart');
    expect(again.status).toBe(200);
    expect(again.body.id ?? again.body.releaseId).toBe('survives-restart');
    await api(apiUrl, '/v1/releases/survives-restart/abort', {
      method: 'POST',
      body: { reason: 'test over' },
    });
    expect(await stop(second.child)).toBe(0);
    expect(processesUsing(dataDir)).toEqual([]);
  }, 300_000);
});
