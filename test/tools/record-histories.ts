/**
 * Records the histories the replay test replays: real runs of the release workflow on a real dev
 * server (fake activities), one promoted, one rolled back by analysis, one aborted by a person.
 * Run it after a deliberate, patched() change to the workflow: `npx tsx test/tools/record-histories.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { ensureTemporalCli } from '../../scripts/temporal-cli.mjs';
import { freePort } from '../../scripts/lib/proc.mjs';
import { startDevServer } from '../../stack/temporal.js';
import { startRelease } from '../../client/releases.js';
import { abortSignal, statusQuery } from '../../workflows/messages.js';
import { fakeActivities, newFakeCluster } from '../harness/fake-activities.js';
import { testSpec } from '../harness/release-spec.js';
import { quietRuntime } from '../harness/runtime.js';
import { startWorker } from '../harness/workflow-worker.js';
import type { Verdict } from '../../core/types.js';

quietRuntime();
const dir = mkdtempSync(join(tmpdir(), 'canary-record-'));
const server = await startDevServer({ cli: ensureTemporalCli(), port: await freePort(), headless: true, dbFile: join(dir, 'db.sqlite') });
const env = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address });
try {
  const cases: Array<{ name: string; script: Verdict[]; abort?: boolean }> = [
    { name: 'promoted', script: ['pass'] },
    { name: 'rolled-back', script: ['pass', 'fail'] },
    { name: 'aborted', script: ['pass'], abort: true },
  ];
  for (const c of cases) {
    const taskQueue = `record-${c.name}`;
    const worker = await startWorker(env, taskQueue, fakeActivities(newFakeCluster(), c.script));
    await worker.runUntil(async () => {
      const spec = testSpec({ service: `replay-${c.name}`, releaseId: `replay-${c.name}`, schedule: { steps: [{ weight: 10, observe: '1s' }, { weight: 50, observe: c.abort ? '1m' : '1s' }] } });
      const started = await startRelease(env.client, spec, { taskQueue });
      const handle = env.client.workflow.getHandle(started.workflowId);
      if (c.abort) {
        for (;;) {
          const status = await handle.query(statusQuery);
          if (status.step === 2 && status.windowEndsAt !== null) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await handle.signal(abortSignal, { actor: 'recorder', reason: 'recorded abort' });
      }
      await handle.result();
      const history = await handle.fetchHistory();
      writeFileSync(join('test', 'histories', `${c.name}.json`), historyToJSON(history));
      console.log(`recorded ${c.name}: ${history.events?.length} events`);
    });
  }
} finally {
  await env.teardown();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
