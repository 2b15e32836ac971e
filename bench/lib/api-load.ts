/**
 * How bench/api.ts measures: sequential timing of calls, nearest-rank percentiles, the closed-loop
 * throughput search over increasing concurrency, and the aligned tables it prints. Kept apart from
 * the benchmark's setup (Temporal, worker, API servers) so each reads on its own.
 */
import { quantile } from './stats.js';

/** The request budget and the target of the throughput search. */
export interface ThroughputLimits {
  /** Concurrency levels tried in order (the search stops early once p99 is far over target). */
  levels: readonly number[];
  /** At most this many requests per level. */
  perLevel: number;
  /** At most this long per level. */
  levelTimeLimitMs: number;
  /** The best level is the fastest whose p99 stays under this. */
  p99TargetMs: number;
}

/** The p-th percentile by nearest rank. */
const percentile = (samples: number[], p: number): number => quantile(samples, p / 100);

/** Runs fn n times one after the other; the duration of each call in ms. */
export async function timed(n: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return samples;
}

/** A latency in ms, right-aligned in a column of 8. */
const fmt = (ms: number) => ms.toFixed(2).padStart(8);
/** One table line: the first cell left-aligned, the others right-aligned, to the given widths. */
const row = (cells: string[], widths: number[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');

/** Closed loop at increasing concurrency; prints a table and the best throughput with p99 under the target. */
export async function throughput(
  label: string,
  url: string,
  headers: Record<string, string>,
  limits: ThroughputLimits,
): Promise<void> {
  const { levels, perLevel, levelTimeLimitMs, p99TargetMs } = limits;
  console.log(
    `\nGET /v1/releases/{id} throughput, ${label} (closed loop, up to ${perLevel} requests or ${levelTimeLimitMs / 1000} s per level)`,
  );
  const widths = [11, 8, 8, 8, 8, 7];
  console.log(row(['concurrency', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors'], widths));
  let best: { concurrency: number; rps: number; p99: number } | undefined;
  for (const concurrency of levels) {
    const samples: number[] = [];
    let errors = 0;
    let issued = 0;
    const began = performance.now();
    const deadline = began + levelTimeLimitMs;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (issued < perLevel && performance.now() < deadline) {
          issued += 1;
          const t = performance.now();
          const response = await fetch(url, { headers });
          await response.arrayBuffer();
          if (response.ok) samples.push(performance.now() - t);
          else errors += 1;
        }
      }),
    );
    const seconds = (performance.now() - began) / 1000;
    const rps = samples.length / seconds;
    const p99 = percentile(samples, 99);
    console.log(
      row(
        [
          String(concurrency),
          String(samples.length + errors),
          rps.toFixed(0),
          fmt(percentile(samples, 50)),
          fmt(p99),
          String(errors),
        ],
        widths,
      ),
    );
    if (errors === 0 && p99 < p99TargetMs && (!best || rps > best.rps))
      best = { concurrency, rps, p99 };
    if (p99 >= p99TargetMs * 3 || errors > samples.length) break;
  }
  console.log(
    best
      ? `status requests/s at p99 < ${p99TargetMs} ms, ${label}: ${best.rps.toFixed(0)} (concurrency ${best.concurrency}, p99 ${best.p99.toFixed(1)} ms)`
      : `no concurrency level kept p99 under ${p99TargetMs} ms (${label})`,
  );
}

/** The latency table: per operation, direct vs API at p50 and p99, the added ms and the ratio. */
export function printLatencyComparison(
  operations: readonly (readonly [name: string, direct: number[], api: number[]])[],
): void {
  const widths = [24, 5, 10, 10, 10, 10, 10, 10];
  console.log(
    row(
      [
        'operation',
        'n',
        'direct p50',
        'direct p99',
        'api p50',
        'api p99',
        'added p50',
        'ratio p50',
      ],
      widths,
    ),
  );
  for (const [name, direct, api] of operations) {
    const d50 = percentile(direct, 50);
    const a50 = percentile(api, 50);
    console.log(
      row(
        [
          name,
          String(api.length),
          fmt(d50),
          fmt(percentile(direct, 99)),
          fmt(a50),
          fmt(percentile(api, 99)),
          fmt(a50 - d50),
          `${(a50 / d50).toFixed(2)}x`,
        ],
        widths,
      ),
    );
  }
}
