/**
 * What the HTTP API adds on top of calling Temporal directly, on loopback with a real Temporal dev
 * server and a real worker (fake activities, one-hour windows so releases stay running):
 *
 *   1. latency of start, status and an action (pause/resume updates): direct client vs API,
 *      median and p99, the added milliseconds and the API/direct ratio;
 *   2. status requests per second: a bounded closed loop at increasing concurrency, reporting the
 *      highest throughput whose p99 stays under 50 ms.
 *
 * Bounded in count and time; everything runs on 127.0.0.1 and is stopped at the end.
 * Run: npm run bench:api   (BENCH_QUICK=1 for a smaller run)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
} from '@temporalio/worker';
import { TokenStore } from '../api/auth.js';
import { ApiMetrics } from '../api/metrics.js';
import { startApiServer } from '../api/server.js';
import { actOnRelease } from '../client/actions.js';
import { locatedRelease, releaseStatus } from '../client/reads.js';
import { startRelease } from '../client/releases.js';
import { CLUSTER_CAPABILITIES } from '../core/capabilities.js';
import { validateReleaseSpec, type ReleaseSpec } from '../core/spec.js';
import { ensureTemporalCli } from '../scripts/temporal-cli.mjs';
import { freePort } from '../scripts/lib/proc.mjs';
import { quantile } from './lib/stats.js';
import { startDevServer } from '../stack/temporal.js';
import { fakeActivities, newFakeCluster } from '../test/harness/fake-activities.js';
import { statusQuery } from '../workflows/messages.js';

const QUICK = process.env.BENCH_QUICK === '1';
const N = {
  start: QUICK ? 15 : 40,
  status: QUICK ? 100 : 300,
  action: QUICK ? 30 : 100,
  perLevel: QUICK ? 200 : 600,
};
const LEVELS = [1, 2, 4, 8, 16, 32, 64];
const LEVEL_TIME_LIMIT_MS = 8000;
const P99_TARGET_MS = 50;
const TOKEN = 'bench-token-0123456789abcdef';

const quiet = { info: () => undefined, error: () => undefined };
const noop = () => undefined;

/** The p-th percentile by nearest rank. */
const percentile = (samples: number[], p: number): number => quantile(samples, p / 100);

async function timed(n: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return samples;
}

/** The bench's specs use the sandbox router (its activities are fakes), as the local stack would. */
const BENCH_CAPABILITIES = { ...CLUSTER_CAPABILITIES, sandbox: true };

let serviceCounter = 0;
function benchSpec(): ReleaseSpec {
  serviceCounter += 1;
  const result = validateReleaseSpec(
    {
      service: `bench-${process.pid}-${serviceCounter}`,
      stableVersion: 'v1',
      canaryVersion: 'v2',
      router: { type: 'sandbox' },
      schedule: { steps: [{ weight: 10, observe: '1h' }] },
    },
    { newReleaseId: () => `bench-${process.pid}-${serviceCounter}-r` },
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
}

async function expectOk(response: Response, what: string): Promise<void> {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

const fmt = (ms: number) => ms.toFixed(2).padStart(8);
const row = (cells: string[], widths: number[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');

/** Closed loop at increasing concurrency; prints a table and the best throughput with p99 under the target. */
async function throughput(
  label: string,
  url: string,
  headers: Record<string, string>,
): Promise<void> {
  console.log(
    `\nGET /v1/releases/{id} throughput, ${label} (closed loop, up to ${N.perLevel} requests or ${LEVEL_TIME_LIMIT_MS / 1000} s per level)`,
  );
  const widths = [11, 8, 8, 8, 8, 7];
  console.log(row(['concurrency', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors'], widths));
  let best: { concurrency: number; rps: number; p99: number } | undefined;
  for (const concurrency of LEVELS) {
    const samples: number[] = [];
    let errors = 0;
    let issued = 0;
    const began = performance.now();
    const deadline = began + LEVEL_TIME_LIMIT_MS;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (issued < N.perLevel && performance.now() < deadline) {
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
    if (errors === 0 && p99 < P99_TARGET_MS && (!best || rps > best.rps))
      best = { concurrency, rps, p99 };
    if (p99 >= P99_TARGET_MS * 3 || errors > samples.length) break;
  }
  console.log(
    best
      ? `status requests/s at p99 < ${P99_TARGET_MS} ms, ${label}: ${best.rps.toFixed(0)} (concurrency ${best.concurrency}, p99 ${best.p99.toFixed(1)} ms)`
      : `no concurrency level kept p99 under ${P99_TARGET_MS} ms (${label})`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canary-bench-api-'));
  const cli = ensureTemporalCli();
  const temporal = await startDevServer({
    cli,
    port: await freePort(),
    headless: true,
    dbFile: join(dir, 'temporal.sqlite'),
    logFile: join(dir, 'temporal.log'),
  });
  const cleanups: (() => Promise<unknown>)[] = [
    async () => temporal.stop(),
    async () => rmSync(dir, { recursive: true, force: true }),
  ];
  try {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      /* installed */
    }
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.unshift(() => connection.close());
    const client = new Client({ connection });
    const taskQueue = `bench-api-${process.pid}`;
    const require = createRequire(import.meta.url);
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: temporal.address }),
      taskQueue,
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: require.resolve('../workflows/index.ts'),
        logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop },
      }),
      activities: fakeActivities(newFakeCluster(), ['pass']),
    });
    const workerRun = worker.run();
    cleanups.unshift(async () => {
      worker.shutdown();
      await workerRun;
    });
    const tokens = new TokenStore([
      { name: 'bench', token: TOKEN, roles: ['deployer', 'approver', 'viewer'] },
    ]);
    const server = await startApiServer({
      port: 0,
      client,
      taskQueue,
      tokens,
      capabilities: BENCH_CAPABILITIES,
      metrics: new ApiMetrics(),
      logger: quiet,
    });
    cleanups.unshift(() => server.close());
    // the same API with its read caches off: what a status read costs when every one goes to Temporal
    const uncached = await startApiServer({
      port: 0,
      client,
      taskQueue,
      tokens,
      capabilities: BENCH_CAPABILITIES,
      metrics: new ApiMetrics(),
      logger: quiet,
      statusCacheMs: 0,
      locateCacheMs: 0,
    });
    cleanups.unshift(() => uncached.close());
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    console.log(
      `temporal ${temporal.address}, api ${server.url} (caches off: ${uncached.url}), ${QUICK ? 'quick' : 'full'} run`,
    );

    // ---- start: direct and API alternate, so both see the same load ----
    const directStart: number[] = [];
    const apiStart: number[] = [];
    for (let i = 0; i < N.start; i++) {
      directStart.push(
        ...(await timed(1, async () => {
          await startRelease(client, benchSpec(), { taskQueue });
        })),
      );
      apiStart.push(
        ...(await timed(1, async () => {
          await expectOk(
            await fetch(`${server.url}/v1/releases`, {
              method: 'POST',
              headers,
              body: JSON.stringify(benchSpec()),
            }),
            'start',
          );
        })),
      );
    }

    // ---- status: one running release, in its observation window ----
    const spec = benchSpec();
    const started = await startRelease(client, spec, { taskQueue });
    // the direct side reads and acts through client/, as the API does
    const release = locatedRelease(
      client,
      spec.releaseId,
      started.workflowId,
      started.runId,
      'RUNNING',
    );
    while ((await release.handle.query(statusQuery)).windowEndsAt === null)
      await new Promise((r) => setTimeout(r, 50));
    const statusPath = `/v1/releases/${spec.releaseId}`;
    const directStatus: number[] = [];
    const apiStatus: number[] = [];
    const uncachedStatus: number[] = [];
    for (let i = 0; i < N.status + 20; i++) {
      const d = await timed(1, async () => {
        await releaseStatus(client, release);
      });
      const a = await timed(1, async () => {
        await expectOk(await fetch(`${server.url}${statusPath}`, { headers }), 'status');
      });
      const u = await timed(1, async () => {
        await expectOk(await fetch(`${uncached.url}${statusPath}`, { headers }), 'status');
      });
      if (i < 20) continue; // warm-up
      directStatus.push(...d);
      apiStatus.push(...a);
      uncachedStatus.push(...u);
    }

    // ---- actions: pause and resume updates; direct pause+resume, then API pause+resume ----
    const directAction: number[] = [];
    const apiAction: number[] = [];
    for (let i = 0; i < N.action / 2; i++) {
      for (const action of ['pause', 'resume'] as const) {
        directAction.push(
          ...(await timed(1, async () => {
            await actOnRelease(client, release, action, { actor: 'bench' });
          })),
        );
      }
      for (const action of ['pause', 'resume']) {
        apiAction.push(
          ...(await timed(1, async () => {
            await expectOk(
              await fetch(`${server.url}${statusPath}/${action}`, {
                method: 'POST',
                headers,
                body: '{}',
              }),
              'action',
            );
          })),
        );
      }
    }

    console.log(
      '\nLatency, ms (loopback; API = HTTP + auth + validation + lookup by release id + Temporal calls)',
    );
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
    for (const [name, direct, api] of [
      ['start', directStart, apiStart],
      ['status (caches off)', directStatus, uncachedStatus],
      ['status (default caches)', directStatus, apiStatus],
      ['action (pause/resume)', directAction, apiAction],
    ] as const) {
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

    for (const [label, base] of [
      ['default caches', server.url],
      ['caches off', uncached.url],
    ] as const) {
      await throughput(label, `${base}${statusPath}`, headers);
    }
  } finally {
    for (const cleanup of cleanups)
      await cleanup().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
  }
}

await main();
