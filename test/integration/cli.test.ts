/**
 * The real `bin/canary.mjs`, run as a child process against a real API server (startApiServer on
 * a free loopback port) over the real Temporal dev server with a real worker: exit codes and
 * output as a CI pipeline sees them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../api/server.js';
import { freePort } from '../../scripts/lib/proc.mjs';
import { specBody, startApiStack, TOKENS, type ApiStack } from '../harness/api.js';

const BIN = resolve(import.meta.dirname, '../../bin/canary.mjs');

let stack: ApiStack;
let server: ApiServer;
let dir: string;
beforeAll(async () => {
  stack = await startApiStack();
  server = await stack.serve();
  dir = mkdtempSync(join(tmpdir(), 'canary-cli-test-'));
});
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion; `onStdout` sees output as it arrives. */
function canary(
  args: string[],
  options: { env?: Record<string, string>; onStdout?: (text: string) => void } = {},
): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {
        ...process.env,
        CANARY_API_URL: server.url,
        CANARY_API_TOKEN: TOKENS.ops,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      options.onStdout?.(stdout);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

function specFile(
  overrides: Record<string, unknown> = {},
  name = `spec-${Date.now()}-${Math.random().toString(36).slice(2)}.json`,
): { path: string; spec: Record<string, unknown> } {
  const spec = specBody(overrides);
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(spec));
  return { path, spec };
}

describe('canary start --wait', () => {
  it('exits 0 when the release is promoted, printing one line per step and decision', async () => {
    const { path } = specFile();
    const run = await canary(['start', '-f', path, '--wait']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^started release api-\S+-v2-[a-z0-9]{6}$/m);
    expect(run.stdout).toMatch(/ weight {4}step 1\/2: canary weight 10%/);
    expect(run.stdout).toMatch(/ decision {2}step 1 look 1: pass — scripted pass → next step/);
    expect(run.stdout).toMatch(/ verdict {3}PROMOTED: promoted v2: every step passed analysis$/m);
  });

  it('exits 1 when the release rolls back, with the reason', async () => {
    const { path } = specFile({ canaryVersion: 'bad-v2' });
    const run = await canary(['start', '-f', path, '--wait']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/verdict {3}ROLLED BACK: analysis failed at step 1/);
  });

  it('exits 1 when the pre-flight rejects the release, printing its every problem', async () => {
    const problems =
      'pre-flight refused: default/Deployment/web-canary does not exist; default/VirtualService/wbe does not exist';
    stack.cluster.preflightRefusal = (spec) =>
      spec.canaryVersion === 'v9-refused' ? problems : null;
    const { path } = specFile({ canaryVersion: 'v9-refused' });
    const run = await canary(['start', '-f', path, '--wait']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(` verdict   REJECTED: refused before any change: ${problems}\n`);
  });

  it('exits 2 when the API cannot be reached', async () => {
    const { path } = specFile();
    const run = await canary(['start', '-f', path, '--wait'], {
      env: { CANARY_API_URL: `http://127.0.0.1:${await freePort()}` },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^canary: cannot reach the canary API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    );
    expect(run.stdout).toBe('');
  });

  it('exits 2 for an invalid spec and lists every problem with its field path', async () => {
    const { path } = specFile({
      schedule: { steps: [{ weight: 150, observe: 'soon' }] },
      colour: 'blue',
    });
    const run = await canary(['start', '-f', path, '--wait']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('schedule.steps[0].weight: must be at most 100');
    expect(run.stderr).toContain('schedule.steps[0].observe: must be a duration');
    expect(run.stderr).toContain('colour: is not a known field');
  });

  it('exits 2 with the reason when the token is missing or wrong', async () => {
    const { path } = specFile();
    const run = await canary(['start', '-f', path], { env: { CANARY_API_TOKEN: '' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no token given: set CANARY_API_TOKEN or --token');
    const viewer = await canary(['start', '-f', path, '--token', TOKENS.viewer]);
    expect(viewer.code).toBe(2);
    expect(viewer.stderr).toContain('this call needs the deployer role');
  });

  it('prints one JSON event per line with --json', async () => {
    const { path } = specFile();
    const run = await canary(['--json', 'start', '-f', path, '--wait']);
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ event: 'started', data: { created: true } });
    expect(events.at(-1)).toMatchObject({ event: 'verdict', data: { verdict: 'promoted' } });
    expect(events.filter((e) => e.event === 'decision')).toHaveLength(2);
  });

  it('reports the verdict again when a retried CI job starts a release id that already ended', async () => {
    const { path, spec } = specFile({
      releaseId: `ci-retry-${Date.now()}`,
      canaryVersion: 'bad-v4',
    });
    expect((await canary(['start', '-f', path, '--wait'])).code).toBe(1);
    const retry = await canary(['start', '-f', path, '--wait']);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toContain(`release ${spec.releaseId} already ran and has ended`);
    expect(retry.stdout).toContain('ROLLED BACK');
  });

  it('keeps following across an API restart and resumes where the stream stopped', async () => {
    const own = await stack.serve();
    const port = own.port;
    const { path } = specFile({
      schedule: {
        steps: [
          { weight: 10, observe: '2s' },
          { weight: 50, observe: '2s' },
        ],
      },
    });
    let restarted: Promise<ApiServer> | undefined;
    const run = await canary(['start', '-f', path, '--wait'], {
      env: { CANARY_API_URL: own.url },
      onStdout: (text) => {
        if (!restarted && text.includes('canary weight 10%')) {
          restarted = own.close().then(() => stack.serve({ port }));
        }
      },
    });
    expect(restarted).toBeDefined();
    await restarted;
    expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
    expect(run.stderr).toMatch(/event stream interrupted .*; reconnecting \(1\)/);
    // nothing printed twice: each weight line once
    expect(run.stdout.match(/canary weight 10%/g)).toHaveLength(1);
    expect(run.stdout.match(/canary weight 50%/g)).toHaveLength(1);
  });
});

describe('canary status, list and actions', () => {
  it('starts from flags alone, pauses, aborts, and status --watch exits 1 for the rollback', async () => {
    const releaseId = `cli-flags-${Date.now()}`;
    const spec = specBody();
    const started = await canary([
      'start',
      '--service',
      spec.service as string,
      '--stable',
      'v1',
      '--canary',
      'v2',
      '--release-id',
      releaseId,
    ]);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`started release ${releaseId}`);

    const approve = await canary(['approve', releaseId, '--token', TOKENS.approver]);
    expect(approve.code).toBe(2);
    expect(approve.stderr).toContain('no approval gate is pending');

    let paused = await canary([
      'pause',
      releaseId,
      '--comment',
      'looking',
      '--token',
      TOKENS.approver,
    ]);
    for (let i = 0; paused.code !== 0 && i < 20; i++) {
      // the release must reach its first window before pause applies
      await new Promise((r) => setTimeout(r, 250));
      paused = await canary([
        'pause',
        releaseId,
        '--comment',
        'looking',
        '--token',
        TOKENS.approver,
      ]);
    }
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(
      new RegExp(`^paused release ${releaseId}: Progressing, step 1/5, canary 10%$`, 'm'),
    );

    const status = await canary(['status', releaseId]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`release   ${releaseId}`);
    expect(status.stdout).toMatch(
      /phase {5}(Paused|Progressing \(pausing\)), step 1\/5, canary 10%, 4m[\d.]+s left in the window/,
    );
    expect(status.stdout).toMatch(/pause by alice \(step 1\): looking/);

    // visibility may lag a moment behind the start: poll until the release is listed
    let list = await canary(['list', '--service', spec.service as string]);
    for (let i = 0; !list.stdout.includes(releaseId) && i < 40; i++) {
      await new Promise((r) => setTimeout(r, 250));
      list = await canary(['list', '--service', spec.service as string]);
    }
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(
      /^ID\s+SERVICE\s+CANARY\s+PHASE\s+WEIGHT\s+STARTED$/,
    );
    expect(list.stdout).toMatch(
      new RegExp(
        `^${releaseId}\\s+default/${spec.service as string}\\s+v2\\s+(Paused|Progressing)\\s+10%`,
        'm',
      ),
    );

    const aborted = await canary([
      'abort',
      releaseId,
      '--reason',
      'enough',
      '--token',
      TOKENS.approver,
    ]);
    expect(aborted.code).toBe(0);
    const watched = await canary(['status', releaseId, '--watch']);
    expect(watched.code).toBe(1);
    expect(watched.stdout).toMatch(/ROLLED BACK: aborted by alice: enough/);

    const json = await canary(['--json', 'status', releaseId]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: releaseId,
      phase: 'RolledBack',
      running: false,
    });
  });

  it('exits 2 for usage errors: an unknown command, a missing --reason, a bad release id, a bad --image', async () => {
    expect((await canary(['deploy'])).code).toBe(2);
    const noReason = await canary(['abort', 'some-release']);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("required option '--reason <text>' not specified");
    const badId = await canary(['status', 'no/such']);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('"no/such" is not a release id');
    const badImage = await canary(['start', '--service', 'web', '--image', 'app=Registry/App:1']);
    expect(badImage.code).toBe(2);
    expect(badImage.stderr).toContain('--image must be <container>=<image reference>');
  });

  it('exits 2 for an unknown release', async () => {
    const run = await canary(['status', 'never-started-anywhere']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no release has the id "never-started-anywhere" (HTTP 404)');
  });
});
