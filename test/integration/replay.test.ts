/**
 * Replays histories recorded from real runs (test/histories/, made by test/tools/record-histories.ts)
 * against the current workflow code, so a non-deterministic change fails CI. Two variants of the
 * workflow show the test can fail: an unguarded change is rejected, the same change behind
 * patched() is accepted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, Worker, type ReplayResult } from '@temporalio/worker';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { startTracing } from '../../observability/tracing.js';
import { workerTelemetry } from '../../observability/worker.js';
import { quietRuntime } from '../harness/runtime.js';

const require = createRequire(import.meta.url);
const dir = join(import.meta.dirname, '..', 'histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * With `traced`, the workflow is bundled and replayed as a worker with tracing on runs it: the
 * engine's workflow interceptor module (or, with 'sdk', the SDK's complete one) in the bundle,
 * the span sink injected.
 */
async function replayAll(
  workflowsPath: string,
  traced: false | 'engine' | 'sdk' = false,
): Promise<ReplayResult[]> {
  quietRuntime();
  const telemetry = workerTelemetry(
    traced
      ? startTracing({
          service: 'replay',
          env: {},
          spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter()),
        })
      : undefined,
  );
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve(workflowsPath),
    workflowInterceptorModules:
      traced === 'sdk'
        ? [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')]
        : telemetry.workflowModules,
    logger: silent,
  });
  const histories = files.map((f) => ({
    workflowId: f,
    history: historyFromJSON(JSON.parse(readFileSync(join(dir, f), 'utf8'))),
  }));
  const results: ReplayResult[] = [];
  const options = { workflowBundle, sinks: telemetry.sinks };
  for await (const result of Worker.runReplayHistories(options, histories)) results.push(result);
  return results;
}

describe('replaying recorded release histories', () => {
  it('has recorded histories of a promoted, a rolled-back, an aborted, a held, an extended, a paused, a continued-as-new, a failed, a rejected, a rollback-retrying, a bake-breached, an announcing release and one handing its announcements off', () => {
    expect(files).toEqual([
      'aborted.json',
      'announce-handoff.json',
      'announced.json',
      'bake-breach.json',
      'continued-as-new-final.json',
      'continued-as-new-first.json',
      'extended.json',
      'failed.json',
      'held.json',
      'paused.json',
      'promoted.json',
      'rejected.json',
      'rollback-retrying.json',
      'rolled-back.json',
    ]);
  });

  it('replays every recorded history against the current workflow code without a determinism error', async () => {
    const results = await replayAll('../../workflows/index.ts');
    expect(results.map((r) => [r.workflowId, r.error?.message ?? null])).toEqual(
      files.map((f) => [f, null]),
    );
  });

  it('replays every recorded history with the OpenTelemetry workflow interceptors in the bundle (tracing turned on for running releases)', async () => {
    const results = await replayAll('../../workflows/index.ts', 'engine');
    expect(results.map((r) => [r.workflowId, r.error?.message ?? null])).toEqual(
      files.map((f) => [f, null]),
    );
  });

  it("would fail with the SDK's complete OpenTelemetry module, whose update wrappers reorder a paused release (why observability/workflow-interceptors.ts leaves them out)", async () => {
    const results = await replayAll('../../workflows/index.ts', 'sdk');
    const paused = results.find((r) => r.workflowId === 'paused.json');
    expect(paused?.error?.name).toBe('DeterminismViolationError');
  });

  it('fails when the command sequence changes without patched()', async () => {
    const results = await replayAll('../fixtures/workflow-variants/unpatched-change.ts');
    expect(results).toHaveLength(files.length);
    for (const result of results) expect(result.error?.name).toBe('DeterminismViolationError');
  });

  it('accepts the same change when it is guarded by patched()', async () => {
    const results = await replayAll('../fixtures/workflow-variants/patched-change.ts');
    expect(results.map((r) => r.error ?? null)).toEqual(files.map(() => null));
  });
});
