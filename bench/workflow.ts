/**
 * Workflow figures for the release issue, measured on a real Temporal dev server with fake
 * activities: history events per step (how fast a release's history grows) and the time from an
 * abort signal to weights restored. Prints a table; asserts nothing. `npm run bench:workflow`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startRelease } from '../client/releases.js';
import { abortSignal, statusQuery } from '../workflows/messages.js';
import { ensureTemporalCli } from '../scripts/temporal-cli.mjs';
import { freePort } from '../scripts/lib/proc.mjs';
import { median, quantile } from './lib/stats.js';
import { startDevServer } from '../stack/temporal.js';
import { fakeActivities, newFakeCluster } from '../test/harness/fake-activities.js';
import { testSpec } from '../test/harness/release-spec.js';
import { quietRuntime } from '../test/harness/runtime.js';
import { startWorker } from '../test/harness/workflow-worker.js';

const ABORT_RUNS = Number(process.env.BENCH_ABORT_RUNS ?? 15);

quietRuntime();
const dir = mkdtempSync(join(tmpdir(), 'canary-bench-wf-'));
const server = await startDevServer({
  cli: ensureTemporalCli(),
  port: await freePort(),
  headless: true,
  dbFile: join(dir, 'db.sqlite'),
});
const env = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address });
try {
  const cluster = newFakeCluster();
  const worker = await startWorker(env, 'bench-workflow', fakeActivities(cluster, ['pass']));
  await worker.runUntil(async () => {
    console.log('History events of promoted releases (1 s windows, every step passes)');
    console.log('steps | events | events/step (marginal)');
    let previous: { steps: number; events: number } | null = null;
    for (const steps of [1, 2, 5, 10]) {
      const spec = testSpec({
        schedule: {
          steps: Array.from({ length: steps }, (_, i) => ({
            weight: Math.round(((i + 1) * 90) / steps),
            observe: '1s',
          })),
        },
      });
      const started = await startRelease(env.client, spec, { taskQueue: 'bench-workflow' });
      const handle = env.client.workflow.getHandle(started.workflowId);
      await handle.result();
      const events = (await handle.fetchHistory()).events?.length ?? 0;
      const marginal = previous
        ? ((events - previous.events) / (steps - previous.steps)).toFixed(1)
        : '-';
      console.log(`${String(steps).padStart(5)} | ${String(events).padStart(6)} | ${marginal}`);
      previous = { steps, events };
    }

    const latencies: number[] = [];
    for (let i = 0; i < ABORT_RUNS; i++) {
      const spec = testSpec({ schedule: { steps: [{ weight: 20, observe: '5m' }] } });
      const started = await startRelease(env.client, spec, { taskQueue: 'bench-workflow' });
      const handle = env.client.workflow.getHandle(started.workflowId);
      for (;;) {
        const s = await handle.query(statusQuery);
        if (s.windowEndsAt !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      cluster.lastRestoredAt = null;
      const sent = performance.timeOrigin + performance.now();
      await handle.signal(abortSignal, { actor: 'bench', reason: 'measure' });
      await handle.result();
      latencies.push((cluster.lastRestoredAt ?? Number.NaN) - sent);
    }
    console.log(
      `\nAbort signal → weights restored (canary 0%), ${ABORT_RUNS} runs in a 5 min window`,
    );
    console.log(
      `median ${median(latencies).toFixed(0)} ms, p90 ${quantile(latencies, 0.9).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`,
    );
  });
} finally {
  await env.teardown();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
