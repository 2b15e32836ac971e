/**
 * The README's quickstart, end to end, through the stack's own code path (startStack, as
 * `npm start` runs it): the example specs are submitted to the API as they are, against the real
 * Temporal dev server, the real Prometheus and the sandbox. Healthy → Promoted; faulty → RolledBack
 * on error rate; slow → RolledBack on latency. Times are printed, not asserted (bench/quickstart.ts
 * measures them).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePrometheus } from '../../scripts/prometheus.mjs';
import { ensureTemporalCli } from '../../scripts/temporal-cli.mjs';
import { startStack, type Stack } from '../../stack/index.js';
import { loadEngineEnv } from '../../worker/config.js';
import { freeStackEnv, runRelease, TEST_TOKENS } from '../harness/stack.js';

const root = join(import.meta.dirname, '..', '..');
const example = (name: string) =>
  JSON.parse(readFileSync(join(root, 'examples', `sandbox-${name}.json`), 'utf8')) as Record<
    string,
    unknown
  >;

let stack: Stack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'canary-e2e-'));
  stack = await startStack({
    env: loadEngineEnv(await freeStackEnv()),
    dataDir,
    temporalCli: ensureTemporalCli(),
    prometheusBinary: await ensurePrometheus(),
    tokenEnv: { CANARY_API_TOKENS: TEST_TOKENS },
    log: () => undefined,
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function runExample(
  name: string,
): Promise<{ status: Record<string, unknown>; seconds: number }> {
  const result = await runRelease(stack.apiUrl, example(name));
  console.log(
    `[e2e] ${name}: ${result.status.phase} after ${result.seconds.toFixed(0)} s — ${result.status.outcome}`,
  );
  return result;
}

type Decisions = Array<{ decision: { verdict: string; decidedBy: string; explanation: string } }>;

describe('the quickstart on the local stack', () => {
  it('promotes the healthy example', async () => {
    const { status } = await runExample('healthy');
    expect(status.phase).toBe('Promoted');
    expect((status.decisions as Decisions).every((d) => d.decision.verdict === 'pass')).toBe(true);
    expect(status.weights).toEqual({ stable: 100, canary: 0 });
  }, 300_000);

  it('rolls back the faulty example on its error rate and says so', async () => {
    const { status } = await runExample('faulty');
    expect(status.phase).toBe('RolledBack');
    const last = (status.decisions as Decisions).at(-1)!.decision;
    expect(last.verdict).toBe('fail');
    expect(last.decidedBy).toMatch(/errorRate/);
    expect(last.explanation).toMatch(/error rate/);
  }, 300_000);

  it('rolls back the slow example on its latency', async () => {
    const { status } = await runExample('slow');
    expect(status.phase).toBe('RolledBack');
    const last = (status.decisions as Decisions).at(-1)!.decision;
    expect(last.verdict).toBe('fail');
    expect(last.decidedBy).toMatch(/latency/);
  }, 300_000);
});
