/**
 * What a release carries across continue-as-new: everything the next run needs, including
 * requests accepted in the last moments of the previous run; and how decisions reach the timeline.
 */
import { describe, expect, it } from 'vitest';
import { planRelease } from '../../core/plan.js';
import type { AnalysisRecord } from '../../workflows/messages.js';
import { ReleaseState } from '../../workflows/state.js';
import { testSpec } from '../harness/release-spec.js';

describe('the state carried across continue-as-new', () => {
  it('keeps the position, the look count, pending requests, a retried rollback, the pre-promotion snapshot and the status, and counts the generation', () => {
    const spec = testSpec();
    const plan = planRelease(spec);
    const state = new ReleaseState(spec, plan);
    state.nextStep = 1;
    state.look = 3;
    state.analysisStartMs = 1_000;
    state.resumeWindowMs = 2_000;
    state.abortRequest = { actor: 'alice', reason: 'late abort' };
    state.promoteRequest = { actor: 'bob' };
    state.rollingBack = { reason: 'aborted by alice: late abort', attempts: 4, lastError: 'down' };
    state.abandonRequest = { actor: 'carol' };
    state.stableSnapshot = { images: { app: 'registry/app:1.4.0' } };
    state.useExtension();

    const next = new ReleaseState(spec, plan, state.carry());
    expect(next).toMatchObject({
      nextStep: 1,
      look: 3,
      analysisStartMs: 1_000,
      resumeWindowMs: 2_000,
      abortRequest: { actor: 'alice', reason: 'late abort' },
      promoteRequest: { actor: 'bob' },
      rollingBack: { reason: 'aborted by alice: late abort', attempts: 4, lastError: 'down' },
      abandonRequest: { actor: 'carol' },
      stableSnapshot: { images: { app: 'registry/app:1.4.0' } },
    });
    expect(next.status.extensionsUsed).toBe(1);
    expect(next.status.generation).toBe(1);
  });
});

describe('decisions in the timeline', () => {
  it('note each decision with its index in status.decisions and the one decision line', () => {
    const spec = testSpec();
    const state = new ReleaseState(spec, planRelease(spec));
    const record = (step: number): AnalysisRecord => ({
      step,
      look: step,
      plannedLooks: 4,
      at: '2025-01-01T00:00:00.000Z',
      windowStart: '2025-01-01T00:00:00.000Z',
      windowEnd: '2025-01-01T00:01:00.000Z',
      missingBuckets: 0,
      decision: {
        verdict: 'pass',
        explanation: 'all good',
        decidedBy: 'metric:errorRate',
        look: step,
        plannedLooks: 4,
      },
      action: 'next step',
    });
    state.addDecision(record(1));
    state.note({ type: 'action', message: 'approve by alice' });
    state.addDecision(record(2));
    expect(
      state.status.timeline
        .filter((e) => e.type === 'decision')
        .map((e) => [e.decision, e.message]),
    ).toEqual([
      [0, 'step 1 look 1: pass — all good → next step'],
      [1, 'step 2 look 2: pass — all good → next step'],
    ]);
  });
});
