/**
 * `canary judge` and `canary stats welch` as a user runs them: JSON on stdin, JSON on stdout,
 * exit code 2 with the bad field named on stderr. Spawns the real `canary` binary (bin/canary.mjs;
 * the commands every user gets).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Run {
  status: number | null;
  stdout: string;
  /** stderr without npm's own warnings (npx may print some about the local npm config). */
  stderr: string;
}

function canary(args: string[], stdin: string): Run {
  const result = spawnSync(process.execPath, ['bin/canary.mjs', ...args], {
    cwd: repoRoot,
    input: stdin,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const stderr = result.stderr
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('npm warn'))
    .join('\n');
  return { status: result.status, stdout: result.stdout, stderr };
}

const bucket = (requests: number, errors: number, latencyMs = 100) => ({
  requests,
  errors,
  latencySumMs: requests * latencyMs,
  latencyCount: requests,
});
const healthyArm = (shift: number) =>
  Array.from({ length: 6 }, (_, i) =>
    bucket(1000, 10 + ((i + shift) % 3), 100 + ((i + shift) % 2)),
  );

const passing = {
  look: 2,
  plannedLooks: 6,
  buckets: { canary: healthyArm(0), baseline: healthyArm(1) },
};
const failing = {
  look: 2,
  plannedLooks: 6,
  buckets: {
    canary: healthyArm(0).map((b) => ({ ...b, errors: b.errors * 4 })),
    baseline: healthyArm(1),
  },
};

describe('canary judge', () => {
  it('reads a request on stdin and prints the decision record as JSON', () => {
    const run = canary(['judge'], JSON.stringify(failing));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const decision = JSON.parse(run.stdout) as {
      verdict: string;
      decidedBy: string;
      metrics: unknown[];
    };
    expect(decision.verdict).toBe('fail');
    expect(decision.decidedBy).toBe('metric:errorRate');
    expect(decision.metrics).toHaveLength(2);
  });

  it('judges one request per line with --jsonl, reports a bad line by number on stderr and exits 2 at the end', () => {
    const lines = [
      JSON.stringify(passing),
      '',
      JSON.stringify({ ...passing, look: 'two' }),
      JSON.stringify(failing),
    ].join('\n');
    const run = canary(['judge', '--jsonl'], `${lines}\n`);
    expect(run.status).toBe(2);
    const verdicts = run.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { verdict: string }).verdict);
    expect(verdicts).toEqual(['pass', 'fail']);
    expect(run.stderr).toBe('canary judge: line 3: look: expected a number');
  });

  it('exits 2 naming the bad field, without a stack trace', () => {
    const bad = structuredClone(passing) as { buckets: { canary: Record<string, unknown>[] } };
    (bad.buckets.canary[3] as Record<string, unknown>).requests = 'many';
    const run = canary(['judge'], JSON.stringify(bad));
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('canary judge: buckets.canary[3].requests: expected a number');
  });

  it('exits 2 when stdin is not JSON or is empty', () => {
    const notJson = canary(['judge'], '{"look": 1,');
    expect(notJson.status).toBe(2);
    expect(notJson.stderr).toMatch(/^canary judge: not valid JSON \(.+\)$/);
    expect(notJson.stderr).not.toMatch(/\n\s+at /);
    const empty = canary(['judge'], '');
    expect(empty.status).toBe(2);
    expect(empty.stderr).toBe('canary judge: expected a JSON document on stdin, got nothing');
  });
});

describe('canary stats welch', () => {
  const reference = (
    JSON.parse(
      readFileSync(
        path.resolve(repoRoot, '..', 'shared', 'reference', 'welch-vectors.json'),
        'utf8',
      ),
    ) as {
      vectors: {
        canary: number[];
        baseline: number[];
        margin: number;
        t: number;
        df: number;
        pGreater: number;
      }[];
    }
  ).vectors;

  it('prints t, df and the three p-values for the samples on stdin', () => {
    const vector = reference[0];
    if (!vector) throw new Error('welch-vectors.json has no vectors');
    const run = canary(
      ['stats', 'welch'],
      JSON.stringify({ canary: vector.canary, baseline: vector.baseline, margin: vector.margin }),
    );
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, number>;
    expect(Object.keys(out)).toEqual(['t', 'df', 'pTwoSided', 'pGreater', 'pLess']);
    expect(out.t).toBeCloseTo(vector.t, 9);
    expect(out.df).toBeCloseTo(vector.df, 9);
    expect(out.pGreater).toBeCloseTo(vector.pGreater, 9);
  });

  it('prints one result per line with --jsonl, marking degenerate samples instead of failing', () => {
    const lines = [
      JSON.stringify({ canary: [1, 2, 3], baseline: [2, 3, 4, 5] }),
      JSON.stringify({ canary: [1], baseline: [1, 2] }),
    ];
    const run = canary(['stats', 'welch', '--jsonl'], lines.join('\n'));
    expect(run.status).toBe(0);
    const [first, second] = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first?.t).toBeLessThan(0);
    expect(second).toEqual({
      t: null,
      df: null,
      pTwoSided: null,
      pGreater: null,
      pLess: null,
      degenerate: 'too-few-samples',
    });
  });

  it('exits 2 naming the bad field', () => {
    const run = canary(
      ['stats', 'welch'],
      JSON.stringify({ canary: [1, 2], baseline: [3, 4], margin: 'small' }),
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('canary stats welch: margin: expected a number');
  });
});

describe('bench/judge.ts flags', () => {
  const bench = (args: string[]): Run => {
    const result = spawnSync('npx', ['tsx', 'bench/judge.ts', ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const stderr = result.stderr
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('npm warn'))
      .join('\n');
    return { status: result.status, stdout: result.stdout, stderr };
  };

  it('prints its usage and exits 0 with --help, without running', () => {
    const run = bench(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /^usage: npx tsx bench\/judge\.ts \[--runs N\] \[--seed S\] \[--config JSON\]/,
    );
    expect(run.stdout).not.toMatch(/judge benchmark/);
    expect(run.stderr).toBe('');
  });

  it('exits 2 with one line, and no stack trace, on an unknown flag or a bad value', () => {
    const unknown = bench(['--rusn', '10']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe(
      'bench/judge.ts: unknown flag --rusn (expected --runs, --seed, --config, --planned-looks, --volumes or --help); see --help',
    );
    const volumes = bench(['--volumes', '200,0']);
    expect(volumes.status).toBe(2);
    expect(volumes.stderr).toBe(
      'bench/judge.ts: --volumes must be whole numbers ≥ 1 separated by commas, got "200,0"; see --help',
    );
    const bad = bench(['--config', '{"alpha": 2}']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^bench\/judge\.ts: --config: alpha: .*; see --help$/);
  });
});
