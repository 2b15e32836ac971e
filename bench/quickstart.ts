/**
 * The quickstart's times: runs the local stack (the code `npm start` runs) and submits the sandbox
 * example specs as they are, measuring from POST /v1/releases to the final phase. Prints a table;
 * asserts nothing. `npm run bench:quickstart [-- --runs N]` (default 1 run of each example, ~3.5 min).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ensurePrometheus } from '../scripts/prometheus.mjs';
import { ensureTemporalCli } from '../scripts/temporal-cli.mjs';
import { startStack } from '../stack/index.js';
import { median } from './lib/stats.js';
import { freeStackEnv, runRelease, TEST_TOKENS } from '../test/harness/stack.js';
import { loadEngineEnv } from '../worker/config.js';

const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag >= 0 ? Number(process.argv[runsFlag + 1]) : 1;
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: npm run bench:quickstart [-- --runs N]');
  process.exit(2);
}
Runtime.install({ logger: new DefaultLogger('WARN') });
const root = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'canary-bench-quickstart-'));
const stack = await startStack({
  env: loadEngineEnv(await freeStackEnv()),
  dataDir,
  temporalCli: ensureTemporalCli(),
  prometheusBinary: await ensurePrometheus(),
  tokenEnv: { CANARY_API_TOKENS: TEST_TOKENS },
  log: () => undefined,
});
try {
  console.log(`example          runs  outcome(s)               median s  min s  max s`);
  for (const name of ['healthy', 'faulty', 'slow']) {
    const spec = JSON.parse(
      readFileSync(join(root, 'examples', `sandbox-${name}.json`), 'utf8'),
    ) as Record<string, unknown>;
    const seconds: number[] = [];
    const outcomes = new Map<string, number>();
    for (let i = 0; i < runs; i++) {
      const result = await runRelease(stack.apiUrl, spec);
      seconds.push(result.seconds);
      const decisions = result.status.decisions as Array<{ decision: { decidedBy: string } }>;
      const key = `${result.status.phase}${result.status.phase === 'RolledBack' ? ` (${decisions.at(-1)?.decision.decidedBy})` : ''}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    const outcome = [...outcomes].map(([k, n]) => `${n}× ${k}`).join(', ');
    console.log(
      `sandbox-${name.padEnd(8)} ${String(runs).padStart(4)}  ${outcome.padEnd(24)} ${median(seconds).toFixed(0).padStart(8)} ${Math.min(
        ...seconds,
      )
        .toFixed(0)
        .padStart(6)} ${Math.max(...seconds)
        .toFixed(0)
        .padStart(6)}`,
    );
  }
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
