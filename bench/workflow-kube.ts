/**
 * Release figures of issue #14 on a real kube-apiserver + kube-controller-manager (its own control
 * plane, test/harness/kube.ts, with the test kubelet) and a real Temporal dev server, with the real
 * activities, Istio router and workload manager (fake metrics only: test/fixtures/kube/
 * release-stack.ts). Each run is a scenario of test/fixtures/kube/release-scenarios.ts or
 * chaos-scenarios.ts, the same
 * ones the acceptance tests assert on:
 *
 * - `canary start --image` (workloads.canary.images) from only the stable Deployment → the first
 *   canary weight read back from the VirtualService; promotion (phase Promoting → Promoted);
 * - abort → the VirtualService read back with stable at 100%, during a slow canary scale-up and
 *   during a slow promotion (pods Ready 4 s after they start);
 * - a worker process SIGKILLed during a weight write → the other worker resumes it, and writes it;
 * - the API server down for BENCH_OUTAGE_MS (default 300000, 0 skips) during a rollback → the
 *   release's end, and how long after the API server returned.
 *
 * Prints a table; asserts nothing. Part of `npm run bench:workflow`; alone: `npx tsx bench/workflow-kube.ts`.
 * Run sizes: BENCH_KUBE_PROMOTE_RUNS (5), BENCH_KUBE_ABORT_RUNS (10 each), BENCH_KUBE_KILL_RUNS (3).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createKubeClients } from '../activities/kube/kube-clients.js';
import { ensureTemporalCli } from '../scripts/temporal-cli.mjs';
import { freePort } from '../scripts/lib/proc.mjs';
import { startDevServer } from '../stack/temporal.js';
import { startKubeForTests } from '../test/harness/kube.js';
import { quietRuntime } from '../test/harness/runtime.js';
import { PodLabelMetrics } from '../test/fixtures/kube/release-stack.js';
import {
  abortDuringPromotion,
  abortDuringScaleUp,
  releaseWithImage,
  type StackContext,
} from '../test/fixtures/kube/release-scenarios.js';
import {
  killWorkerDuringWeightWrite,
  outageDuringRollback,
} from '../test/fixtures/kube/chaos-scenarios.js';
import { printTable } from './lib/cli.js';
import { median, quantile } from './lib/stats.js';

const runs = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const PROMOTE_RUNS = runs('BENCH_KUBE_PROMOTE_RUNS', 5);
const ABORT_RUNS = runs('BENCH_KUBE_ABORT_RUNS', 10);
const KILL_RUNS = runs('BENCH_KUBE_KILL_RUNS', 3);
const OUTAGE_MS = runs('BENCH_OUTAGE_MS', 300_000);

type Row = [measure: string, values: number[], note: string];
const rows: Row[] = [];
const notes: string[] = [];
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');

/** Runs `scenario` `n` times, keeping each run's figures; a run that throws is counted and reported. */
async function repeat<T>(what: string, n: number, scenario: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < n; i += 1) {
    try {
      results.push(await scenario());
    } catch (error) {
      notes.push(`${what}, run ${i + 1}: ${(error as Error).message.split('\n')[0]}`);
    }
    process.stderr.write(`${what}: ${i + 1}/${n}\n`);
  }
  return results;
}

/** Outcomes other than the expected phase, as a note. */
function phases(
  what: string,
  statuses: { phase: string; outcome: string | null }[],
  expected: string,
) {
  for (const s of statuses)
    if (s.phase !== expected) notes.push(`${what}: ended ${s.phase} (${s.outcome ?? ''})`);
}

quietRuntime();
const dir = mkdtempSync(join(tmpdir(), 'canary-bench-wf-kube-'));
const server = await startDevServer({
  cli: ensureTemporalCli(),
  port: await freePort(),
  headless: true,
  dbFile: join(dir, 'db.sqlite'),
});
const harness = await startKubeForTests();
if (!harness) {
  console.log(
    '\nNo kube-apiserver / kube-controller-manager provisioned: the Kubernetes release figures are skipped (node scripts/kube-binaries.mjs).',
  );
  await server.stop();
  process.exit(0);
}
const env = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address });
try {
  const kube = createKubeClients({ kubeconfigPath: harness.kubeconfigPath, env: {} });
  const ctx: StackContext = { env, kube, metrics: new PodLabelMetrics(kube) };

  const steps = {
    schedule: {
      steps: [
        { weight: 20, observe: '1s' },
        { weight: 50, observe: '1s' },
      ],
    },
  };
  const promoted = await repeat('start --image to Promoted', PROMOTE_RUNS, () =>
    releaseWithImage(ctx, 'bench-image', steps),
  );
  phases(
    'start --image',
    promoted.map((r) => r.status),
    'Promoted',
  );
  rows.push([
    'start (with images) → first canary weight read back',
    promoted.map((r) => r.firstWeightMs),
    '4 stable replicas, canary created from them',
  ]);
  rows.push([
    'promotion: phase Promoting → Promoted',
    promoted.map((r) => r.promotionMs),
    'canary scaled to stable size, stable rolled, routing reset',
  ]);

  const scale = await repeat('abort during scale-up', ABORT_RUNS, () =>
    abortDuringScaleUp(ctx, 4000),
  );
  phases(
    'abort during scale-up',
    scale.map((r) => r.status),
    'RolledBack',
  );
  rows.push([
    'abort → stable 100% read back, during a slow scale-up',
    scale.map((r) => r.abortToStableMs),
    'canary pods Ready 4 s after start; 20% on the canary',
  ]);

  const promotion = await repeat('abort during promotion', ABORT_RUNS, () =>
    abortDuringPromotion(ctx, 4000),
  );
  phases(
    'abort during promotion',
    promotion.map((r) => r.status),
    'RolledBack',
  );
  rows.push([
    'abort → stable 100% read back, during promotion',
    promotion.map((r) => r.abortToStableMs),
    'stable rolling out (pods Ready after 4 s); 100% on the canary',
  ]);

  const kills = await repeat('worker SIGKILL', KILL_RUNS, () =>
    killWorkerDuringWeightWrite(ctx, server.address, harness.kubeconfigPath),
  );
  rows.push([
    'worker SIGKILL during a weight write → other worker resumes it',
    kills.map((r) => r.resumedMs),
    'heartbeat timeout 15 s',
  ]);
  rows.push([
    'worker SIGKILL during a weight write → weight written',
    kills.map((r) => r.weightMs),
    'canary pods Ready 8 s after start',
  ]);

  if (OUTAGE_MS > 0) {
    const outage = await repeat('API server outage', 1, () =>
      outageDuringRollback(ctx, harness, OUTAGE_MS, OUTAGE_MS + 600_000),
    );
    for (const run of outage) {
      rows.push([
        'API server outage during a rollback → release ended, after its return',
        [run.endAfterReturnMs],
        `down ${(run.outageMs / 1000).toFixed(0)} s; ended ${run.status.phase}, traffic stable ${run.weights.stable}%`,
      ]);
      notes.push(
        `outage: RollbackRetrying ${run.retryingAfterMs === null ? 'never shown' : `after ${(run.retryingAfterMs / 1000).toFixed(0)} s`}, ${run.status.rollbackRetry?.attempts ?? 0} failed rounds; outcome: ${run.status.outcome ?? ''}`,
      );
    }
  }

  console.log('\nReleases on a real kube-apiserver + kube-controller-manager (ms)');
  printTable(
    ['measure', 'setup', 'runs', 'median', 'p90', 'max'],
    rows.map(([measure, values, note]) => [
      measure,
      note,
      String(values.length),
      ms(median(values)),
      ms(quantile(values, 0.9)),
      ms(Math.max(...values)),
    ]),
    2,
  );
  for (const note of notes) console.log(`- ${note}`);
} finally {
  await env.teardown();
  await harness.stop();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
