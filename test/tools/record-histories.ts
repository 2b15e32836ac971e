/**
 * Records the histories the replay test replays: real runs of the release workflow on a real dev
 * server (fake activities), one per way a release can go — promoted, rolled back by analysis,
 * aborted, held for a person, extended, paused and resumed by update, continued as new, failed,
 * rejected by the pre-flight, rolled back after failing rollback rounds, rolled back by the bake,
 * and one that announces every event to a webhook and to a sink that answers 500 (the real
 * announce activity posting to local listeners).
 * Run it after a deliberate, patched() change to the workflow: `npm run record-histories`, or
 * `npm run record-histories -- hold paused` for some cases only (a history recorded from older
 * code is what proves the current code still replays it, so re-record only what you must).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { ensureTemporalCli } from '../../scripts/temporal-cli.mjs';
import { freePort } from '../../scripts/lib/proc.mjs';
import { startDevServer } from '../../stack/temporal.js';
import { startRelease } from '../../client/releases.js';
import {
  abortSignal,
  approveSignal,
  pauseUpdate,
  resumeUpdate,
  statusQuery,
  type ReleaseStatus,
} from '../../workflows/messages.js';
import { fakeActivities, newFakeCluster, type FakeCluster } from '../harness/fake-activities.js';
import { testSpec } from '../harness/release-spec.js';
import { quietRuntime } from '../harness/runtime.js';
import { startWorker } from '../harness/workflow-worker.js';
import type { Verdict } from '../../core/types.js';
import type { RollbackTiming } from '../../workflows/activity-proxies.js';
import type { AnnounceTiming } from '../../workflows/announce.js';
import { createAnnounceActivities } from '../../activities/notify/announce.js';
import { createNotificationSink } from '../../activities/notify/factory.js';
import { NOTIFICATION_EVENTS } from '../../core/notifications/events.js';
import { startNotifyListener } from '../harness/notify-listener.js';

interface RecordCase {
  name: string;
  script: Verdict[];
  /** Spec fields besides the service and the release id; default two 1 s steps. */
  spec?: Record<string, unknown>;
  tune?: (cluster: FakeCluster) => void;
  historyLimit?: number;
  /** A failing rollback's retry timing (short, so the case records several rounds quickly). */
  rollbackTiming?: RollbackTiming;
  /** What a person does while the release runs. */
  drive?: (handle: WorkflowHandle) => Promise<void>;
  /** Also record the history of the first run (for a release that continued as new). */
  firstRun?: string;
  /** Register the real announce activity with a webhook "hook" (200) and "down" (500). */
  announce?: boolean;
  /** Announcement timing other than ANNOUNCE_TIMING below. */
  announceTiming?: AnnounceTiming;
}

const twoSteps = (secondObserve = '1s') => ({
  schedule: {
    steps: [
      { weight: 10, observe: '1s' },
      { weight: 50, observe: secondObserve },
    ],
  },
});

async function waitFor(
  handle: WorkflowHandle,
  predicate: (s: ReleaseStatus) => boolean,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!predicate(await handle.query(statusQuery))) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for the release of ${handle.workflowId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const CASES: RecordCase[] = [
  { name: 'promoted', script: ['pass'] },
  { name: 'rolled-back', script: ['pass', 'fail'] },
  {
    name: 'aborted',
    script: ['pass'],
    spec: twoSteps('1m'),
    drive: async (handle) => {
      await waitFor(handle, (s) => s.step === 2 && s.windowEndsAt !== null);
      await handle.signal(abortSignal, { actor: 'recorder', reason: 'recorded abort' });
    },
  },
  {
    // inconclusive with no extensions left holds at step 1 until a person approves (by signal)
    name: 'held',
    script: ['inconclusive', 'pass'],
    spec: { ...twoSteps(), policies: { inconclusive: { maxExtensions: 0, then: 'hold' } } },
    drive: async (handle) => {
      await waitFor(handle, (s) => s.phase === 'AwaitingApproval');
      await handle.signal(approveSignal, {
        actor: 'recorder',
        comment: 'recorded approval of a hold',
      });
    },
  },
  {
    name: 'extended',
    script: ['inconclusive', 'pass'],
    spec: { ...twoSteps(), policies: { inconclusive: { maxExtensions: 2, extendBy: '1s' } } },
  },
  {
    name: 'paused',
    script: ['pass'],
    spec: twoSteps('3s'),
    drive: async (handle) => {
      await waitFor(handle, (s) => s.step === 2 && s.windowEndsAt !== null);
      await handle.executeUpdate(pauseUpdate, { args: [{ actor: 'recorder' }] });
      await waitFor(handle, (s) => s.phase === 'Paused');
      await new Promise((r) => setTimeout(r, 500));
      await handle.executeUpdate(resumeUpdate, {
        args: [{ actor: 'recorder', comment: 'recorded resume' }],
      });
    },
  },
  {
    name: 'continued-as-new-final',
    firstRun: 'continued-as-new-first',
    script: ['pass'],
    historyLimit: 40,
    spec: { schedule: { steps: [10, 20, 30, 40].map((weight) => ({ weight, observe: '1s' })) } },
  },
  {
    name: 'failed',
    script: ['pass'],
    tune: (cluster) => {
      cluster.promotionFails = true;
    },
  },
  {
    name: 'rejected',
    script: ['pass'],
    tune: (cluster) => {
      cluster.preflightRefusal = 'recorded refusal: default/VirtualService/wbe does not exist';
    },
  },
  {
    // analysis fails at step 2; the rollback's first two rounds fail, the third succeeds
    name: 'rollback-retrying',
    script: ['pass', 'fail'],
    tune: (cluster) => {
      cluster.failRollbacks = 2;
    },
    rollbackTiming: {
      firstBackoffMs: 500,
      maxBackoffMs: 1000,
      fastAttempts: 1,
      fastMaxIntervalMs: 100,
    },
  },
  {
    name: 'announced',
    script: ['pass', 'fail'],
    spec: {
      notifications: [{ sink: 'hook', events: [...NOTIFICATION_EVENTS] }, { sink: 'down' }],
    },
    announce: true,
  },
  {
    // the end hands the failing sink's deliveries to a canaryAnnouncements child (patch announce-handoff)
    name: 'announce-handoff',
    script: ['pass', 'pass'],
    spec: { notifications: [{ sink: 'down' }] },
    announce: true,
    announceTiming: {
      maxAttempts: 3,
      initialIntervalMs: 1_000,
      maxIntervalMs: 1_000,
      graceMs: 100,
      settleMs: 10_000,
    },
  },
  {
    name: 'bake-breach',
    script: ['pass'],
    spec: { ...twoSteps(), policies: { promotion: { bake: '3s' } } },
    tune: (cluster) => {
      cluster.bakeBreachAtLook = 2;
    },
  },
];

quietRuntime();
const only = process.argv.slice(2);
const unknown = only.filter((name) => !CASES.some((c) => c.name === name || c.firstRun === name));
if (unknown.length > 0)
  throw new Error(
    `no recording case named ${unknown.join(', ')} (cases: ${CASES.map((c) => c.name).join(', ')})`,
  );
const dir = mkdtempSync(join(tmpdir(), 'canary-record-'));
const server = await startDevServer({
  cli: ensureTemporalCli(),
  port: await freePort(),
  headless: true,
  dbFile: join(dir, 'db.sqlite'),
});
const env = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address });
const hook = await startNotifyListener();
const down = await startNotifyListener({ status: 500 });
const announce = createAnnounceActivities({
  sinkFor: (name) =>
    createNotificationSink(
      name,
      {
        hook: { type: 'webhook', url: hook.url, secret: { env: 'KEY' } },
        down: { type: 'webhook', url: down.url, secret: { env: 'KEY' } },
      },
      { secrets: { env: { KEY: 'recording-key' }, readFile: () => '' } },
    ),
});
const ANNOUNCE_TIMING = {
  maxAttempts: 2,
  initialIntervalMs: 100,
  maxIntervalMs: 100,
  settleMs: 10_000,
};
const save = async (name: string, handle: WorkflowHandle): Promise<void> => {
  const history = await handle.fetchHistory();
  writeFileSync(join('test', 'histories', `${name}.json`), historyToJSON(history));
  console.log(`recorded ${name}: ${history.events?.length} events`);
};
try {
  for (const c of CASES.filter(
    (c) =>
      only.length === 0 ||
      only.includes(c.name) ||
      (c.firstRun !== undefined && only.includes(c.firstRun)),
  )) {
    const taskQueue = `record-${c.name}`;
    const cluster = newFakeCluster();
    c.tune?.(cluster);
    const worker = await startWorker(env, taskQueue, {
      ...fakeActivities(cluster, c.script),
      ...(c.announce ? announce : {}),
    });
    await worker.runUntil(async () => {
      const spec = testSpec({
        service: `replay-${c.name}`,
        releaseId: `replay-${c.name}`,
        ...twoSteps(),
        ...c.spec,
      });
      const started = await startRelease(env.client, spec, {
        taskQueue,
        ...(c.historyLimit ? { historyLimit: c.historyLimit } : {}),
        ...(c.rollbackTiming ? { rollbackTiming: c.rollbackTiming } : {}),
        ...(c.announce ? { announceTiming: c.announceTiming ?? ANNOUNCE_TIMING } : {}),
      });
      const handle = env.client.workflow.getHandle(started.workflowId);
      await c.drive?.(handle);
      // a Failed release fails its workflow: its history is recorded all the same
      await handle
        .result()
        .catch((error: unknown) =>
          console.log(`${c.name} ended with: ${(error as Error).message}`),
        );
      await save(c.name, handle);
      if (c.firstRun)
        await save(c.firstRun, env.client.workflow.getHandle(started.workflowId, started.runId));
    });
  }
} finally {
  await hook.close();
  await down.close();
  await env.teardown();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
