/**
 * `canary repair` and a blocked `canary start` as a CI pipeline sees them: the real
 * `bin/canary.mjs` as a child process against a real API server over the real Temporal dev server
 * with a real worker (fake activities).
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../api/server.js';
import { releaseWorkflowId } from '../../core/spec.js';
import { jsonHeaders, specBody, startApiStack, TOKENS, type ApiStack } from '../harness/api.js';

const BIN = resolve(import.meta.dirname, '../../bin/canary.mjs');

let stack: ApiStack;
let server: ApiServer;
beforeAll(async () => {
  stack = await startApiStack();
  server = await stack.serve();
});
afterAll(async () => {
  await stack?.stop();
});

function canary(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, CANARY_API_URL: server.url, CANARY_API_TOKEN: TOKENS.ops },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('canary repair', () => {
  it('exits 2 naming the argument when it is not <namespace>/<service>', async () => {
    const run = await canary(['repair', 'just-a-service']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'canary: <namespace/service>: "just-a-service" is not <namespace>/<service>',
    );
  });

  it('refuses to start on a terminated release (exit 2, naming the repair), repairs it (exit 0), then starts', async () => {
    const spec = specBody({ schedule: { steps: [{ weight: 10, observe: '10m' }] } });
    const started = await stack.app.request('/v1/releases', {
      method: 'POST',
      headers: jsonHeaders(TOKENS.ops),
      body: JSON.stringify(spec),
    });
    expect(started.status).toBe(201);
    const handle = stack.env.client.workflow.getHandle(
      releaseWorkflowId('default', spec.service as string),
    );
    while (stack.cluster.calls.at(-1) !== 'weight:10') await new Promise((r) => setTimeout(r, 50));
    await handle.terminate('operator pressed terminate');

    const file = join(tmpdir(), `repair-cli-${spec.service}.json`);
    writeFileSync(file, JSON.stringify({ ...spec, canaryVersion: 'v3' }));
    const blocked = await canary(['start', '-f', file, '--wait']);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toContain(
      `canary: The service is blocked until it is repaired: service default/${spec.service} is blocked`,
    );
    expect(blocked.stderr).toContain(`run \`canary repair default/${spec.service}\``);

    const repaired = await canary(['repair', `default/${spec.service}`, '--reason', 'by hand']);
    expect(repaired.stderr).toBe('');
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain(`repaired default/${spec.service} (release `);
    expect(repaired.stdout).toContain('  routing reset to stable (stable 100% / canary 0%)');
    expect(repaired.stdout).toContain('  outcome  repaired by ops: ');

    const next = await canary(['start', '-f', file]);
    rmSync(file);
    expect(next.code).toBe(0);
    expect(next.stdout).toMatch(/^started release /);
    const running = await canary(['repair', `default/${spec.service}`]);
    expect(running.code).toBe(2);
    expect(running.stderr).toContain('there is nothing to repair while it runs');
  });
});
