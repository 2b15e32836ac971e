/**
 * `canary spec`: offline validation of a release spec with the real binary.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const canary = (args: string[], input?: string) => spawnSync(process.execPath, ['bin/canary.mjs', ...args], { cwd: root, encoding: 'utf8', input, timeout: 60_000 });

describe('canary spec', () => {
  it('prints an example spec with every default filled in', () => {
    const run = canary(['spec', '-f', 'examples/sandbox-healthy.json', '--release-id', 'r-1']);
    expect(run.status).toBe(0);
    const spec = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(spec).toMatchObject({ releaseId: 'r-1', service: 'demo', workloads: { type: 'sandbox' }, policies: { inconclusive: { then: 'rollback' } } });
  });

  it('names every problem with its field path on stderr and exits 2', () => {
    const run = canary(['spec', '-f', '-'], JSON.stringify({ service: 'Demo', stableVersion: 'v1', canaryVersion: 'v2', schedule: { stepWeight: 0, maxWeight: 50, observe: '1m' } }));
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('canary spec: service: must be a DNS-1123 label');
    expect(run.stderr).toMatch(/canary spec: schedule/);
  });
});
