/**
 * `canary spec`: offline validation of a release spec with the real binary, and the promise that
 * it reports exactly the problems the API's POST /v1/releases reports for the same spec.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specCommand } from '../../cli/commands/spec.js';
import { problemLines, type SpecProblem } from '../../core/problems.js';
import { jsonHeaders, TOKENS, unitApp } from '../harness/api.js';

const root = join(import.meta.dirname, '..', '..');
const canary = (args: string[], input?: string) =>
  spawnSync(process.execPath, ['bin/canary.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });

describe('canary spec', () => {
  it('prints an example spec with every default filled in', () => {
    const run = canary(['spec', '-f', 'examples/sandbox-healthy.json', '--release-id', 'r-1']);
    expect(run.status).toBe(0);
    const spec = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(spec).toMatchObject({
      releaseId: 'r-1',
      service: 'demo',
      workloads: { type: 'sandbox' },
      policies: { inconclusive: { then: 'rollback' } },
    });
  });

  it('names every problem with its field path on stderr and exits 2', () => {
    const run = canary(
      ['spec', '-f', '-'],
      JSON.stringify({
        service: 'Demo',
        stableVersion: 'v1',
        canaryVersion: 'v2',
        schedule: { stepWeight: 0, maxWeight: 50, observe: '1m' },
      }),
    );
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('canary spec: service: must be a DNS-1123 label');
    expect(run.stderr).toMatch(/canary spec: schedule/);
  });
});

describe('canary spec and the API', () => {
  const app = unitApp();
  const base = { service: 'checkout', stableVersion: 'v1', canaryVersion: 'v2' };
  const badSpecs: Record<string, Record<string, unknown>> = {
    'nothing but an unknown field': { colour: 'blue' },
    'unknown fields, also nested ones': {
      ...base,
      colour: 'blue',
      policies: { approval: { timeout: '1h', whenever: true } },
    },
    'wrong types and malformed durations': {
      ...base,
      service: 'Checkout',
      schedule: { steps: [{ weight: 'ten', observe: '5 minutes' }] },
    },
    'a linear schedule out of range': {
      ...base,
      schedule: { stepWeight: 500, maxWeight: 50, observe: '1m' },
    },
    'problems across fields': {
      ...base,
      canaryVersion: 'v1',
      schedule: {
        steps: [
          { weight: 50, observe: '1m' },
          { weight: 20, observe: '30s' },
        ],
      },
    },
    'a service too long for the default canary Deployment': { ...base, service: 's'.repeat(60) },
  };

  for (const [name, spec] of Object.entries(badSpecs)) {
    it(`reports the same problems for ${name}`, async () => {
      const res = await app.request('/v1/releases', {
        method: 'POST',
        headers: jsonHeaders(TOKENS.deployer),
        body: JSON.stringify(spec),
      });
      expect(res.status).toBe(400);
      const { problems } = (await res.json()) as { problems: SpecProblem[] };
      expect(problems.length).toBeGreaterThan(0);

      const stderr: string[] = [];
      const code = specCommand(spec, {
        stdout: () => undefined,
        stderr: (line) => stderr.push(line),
      });
      expect(code).toBe(2);
      expect(stderr).toEqual(problemLines(problems).map((line) => `canary spec: ${line}`));
    });
  }
});
