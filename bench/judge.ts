/**
 * Judge benchmark: how often, and how fast, each judge rolls back healthy and degraded canaries.
 *
 *   npx tsx bench/judge.ts [--runs 1000] [--seed 20240517] [--config '{"alpha":0.01}'] [--planned-looks 6] [--volumes 200,20]
 *
 * Every run simulates 30 one-minute buckets per arm (bench/lib/simulate.ts), and three judges see
 * the same buckets: ours (core/judge, at looks every 5 minutes, 6 looks, plannedLooks 6 unless
 * --planned-looks says more, with the default configuration or --config), a Flagger-style threshold judge (every minute) and a Kayenta-style
 * Mann–Whitney judge (every 5 minutes); see bench/lib/peers.ts. Prints a table, not a timing.
 */
import { judge } from '../core/judge/index.js';
import {
  judgeConfigSchema,
  type JudgeConfig,
  type JudgeConfigInput,
} from '../core/judge/config.js';
import type { BucketCounts } from '../core/types.js';
import {
  judgeConfigFlag,
  parseFlags,
  printTable,
  runCli,
  UsageError,
  wholeNumber,
} from './lib/cli.js';
import { flaggerJudge, kayentaJudge, type PeerJudge } from './lib/peers.js';
import { deriveSeed, Random } from './lib/random.js';
import { NOISE, simulate, type SimulationModel } from './lib/simulate.js';

const BUCKETS = 30;
const LOOK_EVERY = 5;
const LOOKS = BUCKETS / LOOK_EVERY;
const BASELINE = { errorRate: 0.01, latencyMs: 100 };

interface Scenario {
  name: string;
  errorFactor: number;
  extraLatencyMs: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'healthy', errorFactor: 1, extraLatencyMs: 0 },
  { name: 'latency +1 ms (harmless)', errorFactor: 1, extraLatencyMs: 1 },
  { name: 'error rate x1.05 (at our margin)', errorFactor: 1.05, extraLatencyMs: 0 },
  { name: 'error rate x1.5', errorFactor: 1.5, extraLatencyMs: 0 },
  { name: 'error rate x2', errorFactor: 2, extraLatencyMs: 0 },
  { name: 'error rate x3', errorFactor: 3, extraLatencyMs: 0 },
  { name: 'latency +2 ms (at our margin)', errorFactor: 1, extraLatencyMs: 2 },
  { name: 'latency +5 ms', errorFactor: 1, extraLatencyMs: 5 },
  { name: 'latency +10 ms', errorFactor: 1, extraLatencyMs: 10 },
  { name: 'latency +20 ms', errorFactor: 1, extraLatencyMs: 20 },
];
const VOLUMES = [200, 20];

/** Kayenta gets the same practical margins as our judge's defaults, as its allowed increases. */
const DEFAULTS = judgeConfigSchema.parse({});
const ALLOWED_INCREASE = {
  errorRate: 1 + DEFAULTS.errorRate.relativeMargin,
  latencyMean: 1 + DEFAULTS.latencyMean.relativeMargin,
};

/**
 * Peers as a user would configure them, and tightened to at most 1% false rollbacks on healthy
 * canaries so detection can be compared at equal or lower false-rollback rates: the loosest
 * setting of a small grid that gets there (measured with this benchmark's seed). Kayenta: confidence
 * 98/99/99.5/99.8%, at both volumes (99% reaches 0.9% at 200 req/min but 1.6% at 20). Flagger: success
 * rate 98/97.5/97% × latency 120/125/130 ms, at 200 req/min only — no setting gets near 1% at 20
 * req/min, where a single error in a minute is already a 5% error rate.
 */
const PEERS: { name: string; config: string; judge: PeerJudge }[] = [
  {
    name: 'flagger',
    config:
      'success rate >= 98%, mean latency <= 120 ms, every minute, rollback after 5 failed checks',
    judge: flaggerJudge({ minSuccessRate: 0.98, maxLatencyMs: 120, threshold: 5 }),
  },
  {
    name: 'flagger strict',
    config: 'success rate >= 97%, otherwise as flagger',
    judge: flaggerJudge({ minSuccessRate: 0.97, maxLatencyMs: 120, threshold: 5 }),
  },
  {
    name: 'kayenta',
    config: `Mann-Whitney two-sided at 98% per metric and look, High if also mean ratio > ${ALLOWED_INCREASE.errorRate} (errors) / ${ALLOWED_INCREASE.latencyMean} (latency)`,
    judge: kayentaJudge({
      confidence: 0.98,
      allowedIncrease: ALLOWED_INCREASE,
      lookEvery: LOOK_EVERY,
    }),
  },
  {
    name: 'kayenta 99.5%',
    config: 'confidence 99.5%, otherwise as kayenta',
    judge: kayentaJudge({
      confidence: 0.995,
      allowedIncrease: ALLOWED_INCREASE,
      lookEvery: LOOK_EVERY,
    }),
  },
];

const USAGE = `usage: npx tsx bench/judge.ts [--runs N] [--seed S] [--config JSON] [--planned-looks K] [--volumes V,V]

  --runs N       runs per cell (default 1000)
  --seed S       base seed, a whole number (default 20240517)
  --config JSON  overrides of our judge's configuration, e.g. '{"spending":"linear"}'
  --volumes V,V  requests per minute per arm to simulate (default ${VOLUMES.join(',')})
  --planned-looks K
                 plannedLooks our judge is told (default 6, the looks that happen); a larger K
                 models releases that end before their allowed extensions
  --help         print this and exit`;

type Options = {
  runs: number;
  seed: number;
  config: JudgeConfigInput;
  plannedLooks: number;
  volumes: number[];
};

function parseArgs(argv: readonly string[]): Options | 'help' {
  const options: Options = {
    runs: 1000,
    seed: 20240517,
    config: {},
    plannedLooks: LOOKS,
    volumes: VOLUMES,
  };
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
    '--planned-looks': (value) => {
      options.plannedLooks = wholeNumber('--planned-looks', value, LOOKS);
    },
    '--volumes': (value) => {
      const volumes = value.split(',').map((v) => Number(v.trim()));
      if (volumes.length === 0 || volumes.some((v) => !Number.isInteger(v) || v < 1))
        throw new UsageError(
          `--volumes must be whole numbers ≥ 1 separated by commas, got "${value}"`,
        );
      options.volumes = volumes;
    },
  });
  return parsed === 'help' ? 'help' : options;
}

/** Our judge at every look; the minute of the first `fail`, and the last verdict otherwise. */
function ourJudge(
  buckets: { canary: BucketCounts[]; baseline: BucketCounts[] },
  config: JudgeConfig,
  plannedLooks: number,
) {
  let verdict = 'inconclusive';
  for (let look = 1; look <= LOOKS; look++) {
    const end = look * LOOK_EVERY;
    const decision = judge({
      look,
      plannedLooks,
      buckets: { canary: buckets.canary.slice(0, end), baseline: buckets.baseline.slice(0, end) },
      config,
    });
    if (decision.verdict === 'fail') return { rollbackMinute: end, verdict: 'fail' };
    verdict = decision.verdict;
  }
  return { rollbackMinute: null, verdict };
}

class Tally {
  rollbacks = 0;
  minutes = 0;
  record(minute: number | null): void {
    if (minute === null) return;
    this.rollbacks += 1;
    this.minutes += minute;
  }
  rate(runs: number): string {
    return `${((100 * this.rollbacks) / runs).toFixed(1)}%`;
  }
  meanMinutes(): string {
    return this.rollbacks === 0 ? '-' : (this.minutes / this.rollbacks).toFixed(1);
  }
}

function runCell(
  volumeIndex: number,
  volume: number,
  scenario: Scenario,
  options: Options,
): string[] {
  const { runs, seed, plannedLooks } = options;
  const config = judgeConfigSchema.parse(options.config); // judge() takes a typed request
  const ours = new Tally();
  const peers = PEERS.map(() => new Tally());
  let inconclusiveAtEnd = 0;
  const model: SimulationModel = {
    requestsPerMinute: volume,
    buckets: BUCKETS,
    baseline: BASELINE,
    canary: {
      errorRate: BASELINE.errorRate * scenario.errorFactor,
      latencyMs: BASELINE.latencyMs + scenario.extraLatencyMs,
    },
  };
  for (let run = 0; run < runs; run++) {
    // Common random numbers: run r of every scenario starts from the same seed.
    const buckets = simulate(new Random(deriveSeed(seed, volumeIndex, run)), model);
    const result = ourJudge(buckets, config, plannedLooks);
    ours.record(result.rollbackMinute);
    if (result.verdict === 'inconclusive') inconclusiveAtEnd += 1;
    PEERS.forEach((peer, i) => peers[i]?.record(peer.judge(buckets)));
  }
  return [
    String(volume),
    scenario.name,
    ours.rate(runs),
    ours.meanMinutes(),
    `${((100 * inconclusiveAtEnd) / runs).toFixed(1)}%`,
    ...peers.flatMap((tally) => [tally.rate(runs), tally.meanMinutes()]),
  ];
}

function main(parsed: Options): void {
  const { runs, seed, config, plannedLooks, volumes } = parsed;
  const started = performance.now();
  const rows: string[][] = [];
  volumes.forEach((volume, volumeIndex) => {
    for (const scenario of SCENARIOS) rows.push(runCell(volumeIndex, volume, scenario, parsed));
  });
  console.log(
    `judge benchmark: seed ${seed}, ${runs} runs per cell, ${BUCKETS} one-minute buckets, looks every ${LOOK_EVERY} minutes (${LOOKS} looks, plannedLooks ${plannedLooks})`,
  );
  console.log(
    `baseline: error rate ${BASELINE.errorRate * 100}%, mean latency ${BASELINE.latencyMs} ms; noise: ${JSON.stringify(NOISE)}`,
  );
  console.log(
    `ours: default configuration${Object.keys(config).length > 0 ? ` with ${JSON.stringify(config)}` : ''}`,
  );
  for (const peer of PEERS) console.log(`${peer.name}: ${peer.config}`);
  console.log(
    'rb = share of runs rolled back; min = mean minutes to rollback among those; inc = ours inconclusive at the last look\n',
  );
  const header = [
    'req/min',
    'scenario',
    'ours rb',
    'min',
    'inc',
    ...PEERS.flatMap((p) => [`${p.name} rb`, 'min']),
  ];
  printTable(header, rows, 2);
  console.log(`\n${((performance.now() - started) / 1000).toFixed(1)} s`);
}

runCli('bench/judge.ts', USAGE, parseArgs, main);
