/**
 * An engineer can drive a release with the Temporal CLI alone (no API): start it, query its
 * status, approve its gate with a signal, and find it by search attributes — the commands the
 * README shows, run with the real `temporal` binary against the real dev server.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTemporalCli } from '../../scripts/temporal-cli.mjs';
import type { ReleaseStatus } from '../../workflows/messages.js';
import { releaseWorkflowId } from '../../core/spec.js';
import { fakeActivities, newFakeCluster } from '../harness/fake-activities.js';
import { testSpec } from '../harness/release-spec.js';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal.js';
import { startWorker } from '../harness/workflow-worker.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await connectTestEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const execFileAsync = promisify(execFile);

/** Runs the CLI without blocking the event loop: the worker under test runs in this process. */
async function temporal(...args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(
      ensureTemporalCli({ quiet: true }),
      [...args, '--address', inject('temporalAddress'), '--output', 'json'],
      { timeout: 30_000 },
    );
    return stdout;
  } catch (error) {
    throw new Error(
      `temporal ${args.join(' ')} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`,
    );
  }
}

async function status(workflowId: string): Promise<ReleaseStatus> {
  const out = JSON.parse(
    await temporal('workflow', 'query', '--workflow-id', workflowId, '--name', 'status'),
  ) as { queryResult: ReleaseStatus[] };
  return out.queryResult[0]!;
}

describe('driving a release with the Temporal CLI', () => {
  it('starts, queries, approves by signal and lists a release without the API', async () => {
    const cluster = newFakeCluster();
    const taskQueue = uniqueTaskQueue('temporal-cli');
    const worker = await startWorker(env, taskQueue, fakeActivities(cluster, ['pass']));
    const running = worker.run();
    const spec = testSpec({ schedule: { steps: [{ weight: 20, observe: '1s', approval: true }] } });
    const workflowId = releaseWorkflowId(spec.namespace, spec.service);
    try {
      await temporal(
        'workflow',
        'start',
        '--type',
        'canaryRelease',
        '--task-queue',
        taskQueue,
        '--workflow-id',
        workflowId,
        '--input',
        JSON.stringify({ spec }),
      );
      let current = await status(workflowId);
      for (let i = 0; i < 100 && current.phase !== 'AwaitingApproval'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        current = await status(workflowId);
      }
      expect(current.pendingGate).toMatchObject({ kind: 'step', step: 1 });

      await temporal(
        'workflow',
        'signal',
        '--workflow-id',
        workflowId,
        '--name',
        'approve',
        '--input',
        JSON.stringify({ actor: 'alice', comment: 'from the CLI' }),
      );
      await temporal('workflow', 'result', '--workflow-id', workflowId);
      const final = await status(workflowId);
      expect(final.phase).toBe('Promoted');
      expect(final.actions).toEqual([
        expect.objectContaining({ action: 'approve', actor: 'alice', comment: 'from the CLI' }),
      ]);

      let listed: Array<{ execution: { workflowId: string } }> = [];
      for (let i = 0; i < 50 && listed.length === 0; i++) {
        listed = JSON.parse(
          await temporal(
            'workflow',
            'list',
            '--query',
            `CanaryService = "${spec.service}" AND CanaryPhase = "Promoted"`,
          ),
        ) as typeof listed;
        if (listed.length === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(listed.map((w) => w.execution.workflowId)).toEqual([workflowId]);
    } finally {
      worker.shutdown();
      await running;
    }
  });
});
