/**
 * What a release carries across continue-as-new: everything the next run needs, including
 * requests accepted in the last moments of the previous run.
 */
import { describe, expect, it } from 'vitest';
import { planRelease } from '../../core/plan.js';
import { ReleaseState } from '../../workflows/state.js';
import { testSpec } from '../harness/release-spec.js';

describe('the state carried across continue-as-new', () => {
  it('keeps the position, the look count, pending requests and the status, and counts the generation', () => {
    const spec = testSpec();
    const plan = planRelease(spec);
    const state = new ReleaseState(spec, plan);
    state.nextStep = 1;
    state.look = 3;
    state.analysisStartMs = 1_000;
    state.resumeWindowMs = 2_000;
    state.abortRequest = { actor: 'alice', reason: 'late abort' };
    state.promoteRequest = { actor: 'bob' };
    state.useExtension();

    const next = new ReleaseState(spec, plan, state.carry());
    expect(next).toMatchObject({
      nextStep: 1, look: 3, analysisStartMs: 1_000, resumeWindowMs: 2_000,
      abortRequest: { actor: 'alice', reason: 'late abort' }, promoteRequest: { actor: 'bob' },
    });
    expect(next.status.extensionsUsed).toBe(1);
    expect(next.status.generation).toBe(1);
  });
});
