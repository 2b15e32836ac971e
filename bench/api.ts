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
import { validateReleaseSpec, type SubmittedSpec } from '../core/spec.js';
import { ensureTemporalCli } from '../scripts/temporal-cli.mjs';
import { freePort } from '../scripts/lib/proc.mjs';
import { printLatencyComparison, throughput, timed } from './lib/api-load.js';
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

/** The bench's specs use the sandbox router (its activities are fakes), as the local stack would. */
const BENCH_CAPABILITIES = { ...CLUSTER_CAPABILITIES, sandbox: true };

let serviceCounter = 0;
function benchSpec(): SubmittedSpec {
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
    printLatencyComparison([
      ['start', directStart, apiStart],
      ['status (caches off)', directStatus, uncachedStatus],
      ['status (default caches)', directStatus, apiStatus],
      ['action (pause/resume)', directAction, apiAction],
    ]);

    for (const [label, base] of [
      ['default caches', server.url],
      ['caches off', uncached.url],
    ] as const) {
      await throughput(label, `${base}${statusPath}`, headers, {
        levels: LEVELS,
        perLevel: N.perLevel,
        levelTimeLimitMs: LEVEL_TIME_LIMIT_MS,
        p99TargetMs: P99_TARGET_MS,
      });
    }
  } finally {
    for (const cleanup of cleanups)
      await cleanup().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
  }
}

await main();
