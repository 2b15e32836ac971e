/**
 * `canary repair` against the real Temporal dev server with a real worker (fake activities, whose
 * "cluster" is read back after each repair): a release that ended Failed, or was terminated,
 * blocks its service's next start with 409 until the repair restores stable, routes all traffic
 * to stable and scales the canary down, recording who did it.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokenEntry, TokenStore } from '../../api/auth.js';
import type { ReleaseStatusResponse } from '../../api/schemas.js';
import { releaseWorkflowId } from '../../core/spec.js';
import {
  auth,
  jsonHeaders,
  specBody,
  startApiStack,
  TOKENS,
  type ApiStack,
} from '../harness/api.js';

let stack: ApiStack;
/** Services whose finishRelease fails (non-retryable), to make a repair fail. */
const finishFailsFor = new Set<string>();

beforeAll(async () => {
  stack = await startApiStack({
    activities: (fakes) => ({
      ...fakes,
      finishRelease: async (spec, outcome) => {
        if (finishFailsFor.has(spec.service))
          throw ApplicationFailure.nonRetryable('the router is unreachable', 'RouterError');
        return fakes.finishRelease(spec, outcome);
      },
    }),
  });
});
afterAll(async () => {
  await stack?.stop();
});

type Problem = { type: string; detail: string; [key: string]: unknown };

const post = (path: string, body: unknown, token: string = TOKENS.ops) =>
  stack.app.request(path, {
    method: 'POST',
    headers: jsonHeaders(token),
    body: JSON.stringify(body),
  });
const repair = (service: string, body: unknown = {}, token: string = TOKENS.approver) =>
  post(`/v1/services/default/${service}/repair`, body, token);

async function statusOf(id: string): Promise<ReleaseStatusResponse> {
  const res = await stack.app.request(`/v1/releases/${id}`, { headers: auth(TOKENS.viewer) });
  expect(res.status).toBe(200);
  return res.json();
}

async function waitFor(
  id: string,
  done: (s: ReleaseStatusResponse) => boolean,
): Promise<ReleaseStatusResponse> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await statusOf(id);
    if (done(status)) return status;
    if (Date.now() > deadline) throw new Error(`timed out; last phase ${status.phase}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Starts a release with one step; returns its spec. */
async function start(overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const spec = specBody({
    releaseId: `repair-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
    schedule: { steps: [{ weight: 10, observe: '1s' }] },
    ...overrides,
  });
  const res = await post('/v1/releases', spec, TOKENS.deployer);
  expect(res.status).toBe(201);
  return spec;
}

/** A release whose promotion fails: it ends Failed with all traffic on the canary. */
async function failedRelease(): Promise<Record<string, unknown>> {
  stack.cluster.promotionFails = true;
  try {
    const spec = await start();
    await waitFor(spec.releaseId as string, (s) => s.phase === 'Failed' && !s.running);
    return spec;
  } finally {
    stack.cluster.promotionFails = false;
  }
}

/** A release that waits in a long window, then is terminated by hand (as from the Temporal UI). */
async function terminatedRelease(): Promise<Record<string, unknown>> {
  const spec = await start({ schedule: { steps: [{ weight: 10, observe: '10m' }] } });
  await waitFor(spec.releaseId as string, (s) => s.weights.canary === 10);
  await stack.env.client.workflow
    .getHandle(releaseWorkflowId('default', spec.service as string))
    .terminate('terminated by hand');
  return spec;
}

/** The service's next release starts, and runs to its promotion (so it leaves the fake cluster be). */
async function nextReleasePromotes(service: unknown): Promise<Record<string, unknown>> {
  const next = await start({ service });
  await waitFor(next.releaseId as string, (s) => s.phase === 'Promoted' && !s.running);
  return next;
}

async function expectBlocked(spec: Record<string, unknown>, what: string): Promise<Problem> {
  const res = await post('/v1/releases', { ...spec, releaseId: `${spec.releaseId}-next` });
  expect(res.status).toBe(409);
  const problem = (await res.json()) as Problem;
  expect(problem.type).toBe('urn:canary-engine:problem:service-blocked');
  expect(problem.detail).toContain(`service default/${spec.service} is blocked: ${what}`);
  expect(problem.detail).toContain(`run \`canary repair default/${spec.service}\``);
  expect(problem.blockingReleaseId).toBe(spec.releaseId);
  return problem;
}

describe('a release that ended Failed', () => {
  it('blocks the next start with 409 service-blocked naming the release, what happened and `canary repair`', async () => {
    const spec = await failedRelease();
    const problem = await expectBlocked(
      spec,
      `release ${spec.releaseId} ended Failed (promotion failed`,
    );
    expect(problem.workflowStatus).toBe('FAILED');
    expect(problem.repair).toBe(`POST /v1/services/default/${spec.service}/repair`);
    // a retried start of the very release that failed is told it ended, and that the service is blocked
    const retry = await post('/v1/releases', spec);
    expect(retry.status).toBe(409);
    const ended = (await retry.json()) as Problem;
    expect(ended.type).toBe('urn:canary-engine:problem:release-ended');
    expect(ended.detail).toContain(`blocked until \`canary repair default/${spec.service}\``);
  });

  it('is repaired: traffic back on stable, canary scaled down, who and why recorded; the next release starts', async () => {
    const spec = await failedRelease();
    expect(stack.cluster.weights.canary).toBe(100);
    const calls = stack.cluster.calls.length;
    const res = await repair(spec.service as string, { reason: 'promotion stuck' });
    expect(res.status).toBe(200);
    const status = (await res.json()) as ReleaseStatusResponse;
    expect(status).toMatchObject({
      id: spec.releaseId,
      phase: 'Repaired',
      running: false,
      weights: { stable: 100, canary: 0 },
      repair: { actor: 'alice', reason: 'promotion stuck', endedAs: 'FAILED' },
    });
    expect(status.repair?.done).toEqual([
      `stable restored to its pre-promotion template (v1)`,
      'routing reset to stable (stable 100% / canary 0%)',
      'canary scaled down',
    ]);
    expect(status.outcome).toMatch(
      /^repaired by alice: .*; the release had ended FAILED \(promotion failed/,
    );
    // read back from the fake cluster: the snapshot the promotion took, then routing and scale
    expect(stack.cluster.calls.slice(calls)).toEqual(['restore', 'finish:rolledBack']);
    expect(stack.cluster.weights).toEqual({ stable: 100, canary: 0 });
    expect(stack.cluster.canaryReplicas).toBe(0);

    const read = await waitFor(spec.releaseId as string, (s) => s.phase === 'Repaired');
    expect(read.repair?.actor).toBe('alice');
    const list = await stack.app.request(`/v1/releases?service=${spec.service}`, {
      headers: auth(TOKENS.viewer),
    });
    expect((await list.json()).releases[0]).toMatchObject({
      id: spec.releaseId,
      phase: 'Repaired',
    });

    const next = await start({ service: spec.service });
    const again = await repair(spec.service as string);
    expect(again.status).toBe(409);
    expect(((await again.json()) as Problem).detail).toContain(
      `release ${next.releaseId} is running for service default/${spec.service}`,
    );
    await waitFor(next.releaseId as string, (s) => s.phase === 'Promoted' && !s.running);
    const nothing = await repair(spec.service as string);
    expect(nothing.status).toBe(409);
    expect((await nothing.json()) as Problem).toMatchObject({
      type: 'urn:canary-engine:problem:nothing-to-repair',
      detail: `nothing to repair for service default/${spec.service}: its last release ${next.releaseId} ended Promoted, which leaves nothing to restore`,
    });
  });
});

describe('a terminated release', () => {
  it('blocks the next start and is repaired the same way', async () => {
    const spec = await terminatedRelease();
    await expectBlocked(spec, `release ${spec.releaseId} was terminated (terminated by hand)`);
    const res = await repair(spec.service as string);
    expect(res.status).toBe(200);
    const status = (await res.json()) as ReleaseStatusResponse;
    expect(status).toMatchObject({ phase: 'Repaired', repair: { endedAs: 'TERMINATED' } });
    // no promotion had begun: nothing of stable to restore
    expect(status.repair?.done).toEqual([
      'routing reset to stable (stable 100% / canary 0%)',
      'canary scaled down',
    ]);
    expect(stack.cluster.weights.canary).toBe(0);
    await nextReleasePromotes(spec.service);
  });

  it("terminated mid-promotion, gets stable's pre-promotion template back from the run's history", async () => {
    stack.cluster.stableVersion = 'v1';
    stack.cluster.promoteDelayMs = 5_000;
    const spec = await start();
    try {
      await waitFor(spec.releaseId as string, (s) => s.phase === 'Promoting');
      while (stack.cluster.stableVersion !== 'v2') await new Promise((r) => setTimeout(r, 50));
    } finally {
      stack.cluster.promoteDelayMs = 0;
    }
    await stack.env.client.workflow
      .getHandle(releaseWorkflowId('default', spec.service as string))
      .terminate('stuck in promotion');
    const res = await repair(spec.service as string);
    expect(res.status).toBe(200);
    expect(((await res.json()) as ReleaseStatusResponse).repair?.done[0]).toBe(
      'stable restored to its pre-promotion template (v1)',
    );
    expect(stack.cluster.stableVersion).toBe('v1');
    expect(stack.cluster.weights.canary).toBe(0);
  });
});

describe('a repair that fails', () => {
  it('keeps the service blocked with the reason; a second repair (202 while it runs, refusing starts and repairs meanwhile) clears it', async () => {
    const spec = await terminatedRelease();
    const service = spec.service as string;
    finishFailsFor.add(service);
    const res = await repair(service, { reason: 'first try' });
    finishFailsFor.delete(service);
    expect(res.status).toBe(200);
    const failed = (await res.json()) as ReleaseStatusResponse;
    expect(failed.phase).toBe('Failed');
    expect(failed.outcome).toContain(`repair by alice failed: the router is unreachable`);
    expect(failed.outcome).toContain('the service stays blocked until a repair succeeds');
    await expectBlocked(spec, `the repair of release ${spec.releaseId} failed`);

    // a repair still running when the API stops waiting is a 202 with where to follow it
    stack.cluster.finishDelayMs = 3000;
    const quick = stack.appWith({ repairWaitMs: 0 });
    const accepted = await quick.request(`/v1/services/default/${service}/repair`, {
      method: 'POST',
      headers: jsonHeaders(TOKENS.approver),
      body: '{}',
    });
    expect(accepted.status).toBe(202);
    const { runId, links } = await accepted.json();
    expect(accepted.headers.get('location')).toBe(links.self);
    try {
      const repairing = await waitFor(spec.releaseId as string, (s) => s.runId === runId);
      expect(repairing).toMatchObject({ phase: 'Repairing', running: true });
      const start = await post('/v1/releases', { ...spec, releaseId: `${spec.releaseId}-2` });
      expect(start.status).toBe(409);
      expect(((await start.json()) as Problem).detail).toContain(
        `the repair of release ${spec.releaseId} is running for service default/${service}`,
      );
      const second = await repair(service);
      expect(second.status).toBe(409);
      expect(((await second.json()) as Problem).detail).toContain(
        `a repair of release ${spec.releaseId} is already running`,
      );
    } finally {
      stack.cluster.finishDelayMs = 0;
    }
    const repaired = await waitFor(
      spec.releaseId as string,
      (s) => s.runId === runId && !s.running,
    );
    expect(repaired).toMatchObject({ phase: 'Repaired', repair: { endedAs: 'TERMINATED' } });
    await nextReleasePromotes(service);
  });
});

describe('who may repair', () => {
  it('refuses viewers and deployers (repair is the approver role, like abort) and tokens scoped elsewhere', async () => {
    const service = 'web';
    expect((await repair(service, {}, TOKENS.viewer)).status).toBe(403);
    const deployer = await repair(service, {}, TOKENS.deployer);
    expect(deployer.status).toBe(403);
    expect(((await deployer.json()) as Problem).detail).toContain('needs the approver role');
    const scoped = stack.appWith({
      tokens: new TokenStore([
        parseTokenEntry('team-b=team-b-token-0123456789:approver@team-b', 'test'),
      ]),
    });
    const res = await scoped.request('/v1/services/default/web/repair', {
      method: 'POST',
      headers: jsonHeaders('team-b-token-0123456789'),
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as Problem).detail).toBe(
      'the token of team-b may not repair default/web: it is scoped to team-b, and the release is in namespace default, service web',
    );
  });

  it('answers 400 naming the field for a bad namespace or reason, and 409 when no release ever ran', async () => {
    const bad = await post('/v1/services/Not_A_Label/web/repair', {}, TOKENS.approver);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { problems: { path: string }[] }).problems[0]?.path).toBe(
      'namespace',
    );
    const empty = await repair('web', { reason: '  ' });
    expect(empty.status).toBe(400);
    const never = await repair(`never-${Date.now()}`);
    expect(never.status).toBe(409);
    expect(((await never.json()) as Problem).detail).toMatch(/no release has run for it$/);
  });
});
