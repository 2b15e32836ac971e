/**
 * Short schedules: how much evidence one observation window gives the judge.
 *
 *   npx tsx bench/short-window.ts [--runs 20000] [--seed 20261122] [--config '{"errorRate":{"test":"count"}}']
 *
 * The judge passes a look when no metric is significantly worse and every minimum-data gate is met
 * (core/judge/index.ts); at the last look of the last step a pass promotes. A schedule of one short
 * step therefore decides on the requests of that one window. This benchmark simulates that window:
 * 4 buckets per arm, errors Poisson given the requests, the baseline at 1%, and the judge with its
 * default configuration at look 1 of the looks the workflow plans for one step (3: the step and
 * the default two extensions), or with --config's overrides. It prints,
 * by requests per arm in the window, how often a canary is NOT rolled back at that look: for a
 * healthy canary that is wanted, for a degraded one it is the chance it goes on (and, at the last
 * step, is promoted). Prints a table, not a timing. Run r of a row starts from
 * deriveSeed(seed, row, r) whatever the error rate and configuration (common random numbers, as in
 * bench/judge.ts), so two configurations are compared on the same draws.
 */
import { judge } from '../core/judge/index.js';
import { judgeConfigSchema, type JudgeConfigInput } from '../core/judge/config.js';
import { planRelease } from '../core/plan.js';
import { validateReleaseSpec } from '../core/spec.js';
import type { BucketCounts } from '../core/types.js';
import { judgeConfigFlag, parseFlags, printTable, runCli, wholeNumber } from './lib/cli.js';
import { deriveSeed, Random } from './lib/random.js';

const BUCKETS = 4;

/** The looks the workflow plans for a release of one 20 s step with the default policies. */
function plannedLooksOfOneStep(): number {
  const checked = validateReleaseSpec({
    service: 'web',
    stableVersion: 'v1',
    canaryVersion: 'v2',
    router: { type: 'sandbox', url: 'http://127.0.0.1:1' },
    schedule: { steps: [{ weight: 50, observe: '20s' }] },
    analysis: { bucket: '4s' },
  });
  if (!checked.ok)
    throw new Error(
      `bench/short-window.ts: its own spec is invalid: ${JSON.stringify(checked.problems)}`,
    );
  return planRelease(checked.spec).plannedLooks;
}
const PLANNED_LOOKS = plannedLooksOfOneStep();
const BASELINE_ERROR_RATE = 0.01;
const REQUESTS_PER_ARM = [400, 800, 1600, 3200, 6400, 25600];
const FACTORS = [1, 2, 3, 5];

const USAGE = `usage: npx tsx bench/short-window.ts [--runs N] [--seed S] [--config JSON]

  --runs N       runs per cell (default 20000)
  --seed S       base seed, a whole number (default 20261122)
  --config JSON  overrides of the judge's configuration, e.g. '{"errorRate":{"test":"count"}}'
  --help         print this and exit`;

type Options = { runs: number; seed: number; config: JudgeConfigInput };

function parseArgs(argv: readonly string[]): Options | 'help' {
  const options: Options = { runs: 20_000, seed: 20261122, config: {} };
  const parsed = parseFlags(argv, {
    '--runs': (value) => {
      options.runs = wholeNumber('--runs', value, 1);
    },
    '--seed': (value) => {
      options.seed = wholeNumber('--seed', value, 0);
    },
    '--config': (value) => {
      options.config = judgeConfigFlag(value);
    },
  });
  return parsed === 'help' ? 'help' : options;
}

function arm(random: Random, requestsPerBucket: number, errorRate: number): BucketCounts[] {
  return Array.from({ length: BUCKETS }, () => {
    const requests = requestsPerBucket;
    const errors = Math.min(requests, random.poisson(requests * errorRate));
    return { requests, errors, latencySumMs: 20 * requests, latencyCount: requests };
  });
}

function main({ runs, seed, config }: Options): void {
  const configText =
    Object.keys(config).length > 0
      ? `default judge with ${JSON.stringify(config)}`
      : 'default judge';
  console.log(
    `one window of ${BUCKETS} buckets, baseline error rate ${BASELINE_ERROR_RATE * 100}%, look 1 of ${PLANNED_LOOKS} planned, ${configText}, ${runs} runs per cell, seed ${seed}`,
  );
  console.log('share of runs NOT rolled back at the look (pass or inconclusive), and passed\n');
  const header = ['requests/arm', ...FACTORS.map((f) => `×${f} not rb / pass`)];
  const judgeConfig = judgeConfigSchema.parse(config); // judge() takes a typed request
  const rows = REQUESTS_PER_ARM.map((total, row) => {
    const cells = FACTORS.map((factor) => {
      let notRolledBack = 0;
      let passed = 0;
      for (let run = 0; run < runs; run += 1) {
        const random = new Random(deriveSeed(seed, row, run));
        const decision = judge({
          look: 1,
          plannedLooks: PLANNED_LOOKS,
          buckets: {
            canary: arm(random, total / BUCKETS, BASELINE_ERROR_RATE * factor),
            baseline: arm(random, total / BUCKETS, BASELINE_ERROR_RATE),
          },
          config: judgeConfig,
        });
        if (decision.verdict !== 'fail') notRolledBack += 1;
        if (decision.verdict === 'pass') passed += 1;
      }
      const pct = (n: number): string => `${((100 * n) / runs).toFixed(2)}%`;
      return `${pct(notRolledBack)} / ${pct(passed)}`;
    });
    return [String(total), ...cells];
  });
  printTable(header, rows, 0);
}

runCli('bench/short-window.ts', USAGE, parseArgs, main);
