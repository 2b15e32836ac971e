/**
 * The API against the real Temporal dev server with a real worker (fake activities): starting,
 * listing, reading and steering releases through app.request(). The tests are about the API; the
 * workflow's own behaviour is covered by release-workflow.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseStatusResponse } from '../../api/schemas.js';
import {
  auth,
  jsonHeaders,
  specBody,
  startApiStack,
  TOKENS,
  type ApiStack,
} from '../harness/api.js';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack();
});
afterAll(async () => {
  await stack?.stop();
});

const post = (path: string, body: unknown, token: string = TOKENS.ops) =>
  stack.app.request(path, {
    method: 'POST',
    headers: jsonHeaders(token),
    body: JSON.stringify(body),
  });
const get = (path: string, token: string = TOKENS.viewer) =>
  stack.app.request(path, { headers: auth(token) });

async function statusOf(id: string): Promise<ReleaseStatusResponse> {
  const res = await get(`/v1/releases/${id}`);
  expect(res.status).toBe(200);
  return res.json();
}

async function waitFor(
  id: string,
  predicate: (s: ReleaseStatusResponse) => boolean,
  timeoutMs = 30_000,
): Promise<ReleaseStatusResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await statusOf(id);
    if (predicate(status)) return status;
    if (Date.now() > deadline)
      throw new Error(`timed out; last phase ${status.phase}, step ${status.step}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const ended = (s: ReleaseStatusResponse) =>
  ['Promoted', 'RolledBack', 'Failed'].includes(s.phase) && !s.running;

describe('starting releases', () => {
  it('answers 201 with the id, status URL and Temporal UI link, then 200 for the same releaseId while it runs', async () => {
    const spec = specBody({
      releaseId: `ci-run-${Date.now()}`,
      schedule: { steps: [{ weight: 10, observe: '30s' }] },
    });
    const first = await post('/v1/releases', spec, TOKENS.deployer);
    expect(first.status).toBe(201);
    const created = await first.json();
    expect(created).toMatchObject({
      id: spec.releaseId,
      created: true,
      workflowId: `canary.default.${spec.service}`,
    });
    expect(first.headers.get('location')).toBe(`/v1/releases/${spec.releaseId}`);
    expect(created.links.self).toBe(`/v1/releases/${spec.releaseId}`);
    expect(created.links.temporalUi).toBe(
      `http://temporal-ui.test/namespaces/default/workflows/${created.workflowId}/${created.runId}`,
    );

    const retry = await post('/v1/releases', spec, TOKENS.deployer);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({
      id: spec.releaseId,
      created: false,
      runId: created.runId,
    });

    const other = await post(
      '/v1/releases',
      { ...spec, releaseId: `${spec.releaseId}-b` },
      TOKENS.deployer,
    );
    expect(other.status).toBe(409);
    const conflict = await other.json();
    expect(conflict.type).toBe('urn:canary-engine:problem:release-conflict');
    expect(conflict.detail).toContain(`release ${spec.releaseId} is already running`);
    expect(conflict.runningReleaseId).toBe(spec.releaseId);

    expect(
      (await post(`/v1/releases/${spec.releaseId}/abort`, { reason: 'test over' })).status,
    ).toBe(200);
  });

  it('generates <service>-<canaryVersion>-<6 chars> when the spec has no releaseId', async () => {
    const spec = specBody({ canaryVersion: 'v9' });
    const res = await post('/v1/releases', spec, TOKENS.deployer);
    expect(res.status).toBe(201);
    const { id } = await res.json();
    expect(id).toMatch(new RegExp(`^${spec.service}-v9-[a-z0-9]{6}$`));
    const status = await waitFor(id, ended);
    expect(status.phase).toBe('Promoted');
  });

  it('refuses a releaseId that already names a release of another service with 409 release-id-taken', async () => {
    const first = specBody({
      releaseId: `taken-${Date.now()}`,
      schedule: { steps: [{ weight: 10, observe: '30s' }] },
    });
    expect((await post('/v1/releases', first)).status).toBe(201);
    const other = specBody({ releaseId: first.releaseId });
    const res = await post('/v1/releases', other);
    expect(res.status).toBe(409);
    const problem = await res.json();
    expect(problem).toMatchObject({
      type: 'urn:canary-engine:problem:release-id-taken',
      releaseId: first.releaseId,
      workflowId: `canary.default.${first.service}`,
    });
    expect(problem.detail).toBe(
      `release id ${first.releaseId} already names a release of another service (workflow canary.default.${first.service}); choose an id that includes the service`,
    );
    expect(
      (await post(`/v1/releases/${first.releaseId}/abort`, { reason: 'test over' })).status,
    ).toBe(200);
  });

  it('refuses to start a releaseId again once that release has ended', async () => {
    const spec = specBody({ releaseId: `once-${Date.now()}` });
    expect((await post('/v1/releases', spec)).status).toBe(201);
    await waitFor(spec.releaseId as string, ended);
    const again = await post('/v1/releases', spec);
    expect(again.status).toBe(409);
    expect((await again.json()).type).toBe('urn:canary-engine:problem:release-ended');
  });
});

describe('reading releases', () => {
  it('shows the status of a running release: step, weights, time left and actions with actors', async () => {
    const spec = specBody({
      releaseId: `read-${Date.now()}`,
      schedule: { steps: [{ weight: 20, observe: '30s' }] },
    });
    expect((await post('/v1/releases', spec)).status).toBe(201);
    const status = await waitFor(spec.releaseId as string, (s) => s.windowEndsAt !== null);
    expect(status).toMatchObject({
      id: spec.releaseId,
      phase: 'Progressing',
      step: 1,
      totalSteps: 1,
      weights: { stable: 80, canary: 20 },
      running: true,
    });
    expect(status.timeLeftMs).toBeGreaterThan(20_000);
    expect(status.timeLeftMs).toBeLessThanOrEqual(30_000);
    expect(status.timeline.map((e) => e.type)).toContain('weight');
    expect(
      (await post(`/v1/releases/${spec.releaseId}/abort`, { reason: 'done reading' })).status,
    ).toBe(200);
  });

  it('shows a finished release with its decisions and explanations, even with no worker to answer queries', async () => {
    const own = await startApiStack();
    const spec = specBody({ releaseId: `finished-${Date.now()}`, canaryVersion: 'bad-v2' });
    let status: ReleaseStatusResponse;
    try {
      const started = await own.app.request('/v1/releases', {
        method: 'POST',
        headers: jsonHeaders(TOKENS.ops),
        body: JSON.stringify(spec),
      });
      expect(started.status).toBe(201);
      const { workflowId } = await started.json();
      await own.env.client.workflow.getHandle(workflowId).result();
      await own.stopWorker();
      // wait until visibility shows the run as closed, as it will for any later reader
      const closed = async () =>
        (
          await (
            await own.app.request(`/v1/releases?service=${spec.service}`, {
              headers: auth(TOKENS.viewer),
            })
          ).json()
        ).releases[0]?.workflowStatus;
      for (let i = 0; (await closed()) !== 'COMPLETED'; i++) {
        if (i > 100) throw new Error('visibility never showed the release as closed');
        await new Promise((r) => setTimeout(r, 100));
      }
      const res = await own.app.request(`/v1/releases/${spec.releaseId}`, {
        headers: auth(TOKENS.viewer),
      });
      expect(res.status).toBe(200);
      status = await res.json();
    } finally {
      await own.stop();
    }
    expect(status.running).toBe(false);
    expect(status.phase).toBe('RolledBack');
    expect(status.decisions[0]).toMatchObject({
      step: 1,
      look: 1,
      action: 'roll back',
      decision: { verdict: 'fail', decidedBy: 'metric:errorRate' },
    });
    expect(status.decisions[0]?.decision.explanation).toContain('error rate 5.0% vs 1.0% baseline');
    expect(status.outcome).toContain('analysis failed at step 1');
    expect(status.finishedAt).not.toBeNull();
  });

  it("reads a Failed release from the workflow's failure details when no worker is left to answer queries", async () => {
    const own = await startApiStack();
    own.cluster.promotionFails = true;
    const spec = specBody({
      releaseId: `failed-${Date.now()}`,
      schedule: { steps: [{ weight: 10, observe: '1s' }] },
    });
    let status: ReleaseStatusResponse;
    let metricsText: string;
    try {
      const started = await own.app.request('/v1/releases', {
        method: 'POST',
        headers: jsonHeaders(TOKENS.ops),
        body: JSON.stringify(spec),
      });
      expect(started.status).toBe(201);
      const { workflowId } = await started.json();
      await expect(own.env.client.workflow.getHandle(workflowId).result()).rejects.toThrow();
      await own.stopWorker();
      const closed = async () =>
        (
          await (
            await own.app.request(`/v1/releases?service=${spec.service}`, {
              headers: auth(TOKENS.viewer),
            })
          ).json()
        ).releases[0]?.workflowStatus;
      for (let i = 0; (await closed()) !== 'FAILED'; i++) {
        if (i > 100) throw new Error('visibility never showed the release as failed');
        await new Promise((r) => setTimeout(r, 100));
      }
      const res = await own.app.request(`/v1/releases/${spec.releaseId}`, {
        headers: auth(TOKENS.viewer),
      });
      expect(res.status).toBe(200);
      status = await res.json();
      metricsText = await (await own.app.request('/metrics')).text();
    } finally {
      await own.stop();
    }
    expect(status).toMatchObject({ phase: 'Failed', running: false });
    expect(status.outcome).toContain('promotion failed');
    expect(metricsText).toContain(`canary_releases_failed_total{service="${spec.service}"} 1`);
  });

  it('answers 404 for an id no release has', async () => {
    const res = await get('/v1/releases/no-such-release-anywhere');
    expect(res.status).toBe(404);
    expect((await res.json()).detail).toBe('no release has the id "no-such-release-anywhere"');
  });

  it('lists releases filtered by namespace, service and phase, page by page', async () => {
    const namespace = `ns-${Date.now().toString(36)}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const spec = specBody({
        namespace,
        releaseId: `${namespace}-r${i}`,
        schedule: { steps: [{ weight: 10, observe: '1m' }] },
      });
      expect((await post('/v1/releases', spec)).status).toBe(201);
      ids.push(spec.releaseId as string);
    }
    // visibility indexes new workflows asynchronously
    const deadline = Date.now() + 15_000;
    while ((await (await get(`/v1/releases?namespace=${namespace}`)).json()).releases.length < 3) {
      if (Date.now() > deadline) throw new Error('visibility never listed the three releases');
      await new Promise((r) => setTimeout(r, 200));
    }
    const first = await (await get(`/v1/releases?namespace=${namespace}&pageSize=2`)).json();
    expect(first.releases).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await (
      await get(`/v1/releases?namespace=${namespace}&pageSize=2&cursor=${first.nextCursor}`)
    ).json();
    const listed = [...first.releases, ...second.releases].map((r: { id: string }) => r.id);
    expect(new Set(listed)).toEqual(new Set(ids));
    // running releases come newest first
    expect(listed).toEqual([...ids].reverse());
    expect(first.releases[0]).toMatchObject({
      namespace,
      workflowStatus: 'RUNNING',
      stableVersion: 'v1',
      canaryVersion: 'v2',
    });

    const mismatched = await get(
      `/v1/releases?namespace=${namespace}&service=other&pageSize=2&cursor=${first.nextCursor}`,
    );
    expect(mismatched.status).toBe(400);

    const byService = await (await get(`/v1/releases?service=${first.releases[0].service}`)).json();
    expect(byService.releases.map((r: { id: string }) => r.id)).toEqual([first.releases[0].id]);
    const promotedOnly = await (
      await get(`/v1/releases?namespace=${namespace}&phase=Promoted`)
    ).json();
    expect(promotedOnly.releases).toEqual([]);

    for (const id of ids)
      expect((await post(`/v1/releases/${id}/abort`, { reason: 'list test over' })).status).toBe(
        200,
      );
  });
});

describe('acting on releases', () => {
  it('pauses and resumes with the caller as the actor, and rejects what does not apply with 409', async () => {
    const spec = specBody({
      releaseId: `act-${Date.now()}`,
      schedule: { steps: [{ weight: 10, observe: '2s' }] },
    });
    expect((await post('/v1/releases', spec)).status).toBe(201);
    const id = spec.releaseId as string;
    await waitFor(id, (s) => s.windowEndsAt !== null);

    const approve = await post(`/v1/releases/${id}/approve`, {}, TOKENS.approver);
    expect(approve.status).toBe(409);
    const notApplicable = await approve.json();
    expect(notApplicable.type).toBe('urn:canary-engine:problem:action-not-applicable');
    expect(notApplicable.detail).toBe(
      `cannot approve release ${id}: no approval gate is pending (phase Progressing)`,
    );

    const paused = await post(
      `/v1/releases/${id}/pause`,
      { comment: 'checking dashboards' },
      TOKENS.approver,
    );
    expect(paused.status).toBe(200);
    const pausedStatus = await paused.json();
    expect(pausedStatus.paused).toBe(true);
    expect(pausedStatus.actions.at(-1)).toMatchObject({
      action: 'pause',
      actor: 'alice',
      comment: 'checking dashboards',
    });
    expect((await post(`/v1/releases/${id}/pause`, {}, TOKENS.approver)).status).toBe(409);

    const resumed = await stack.app.request(`/v1/releases/${id}/resume`, {
      method: 'POST',
      headers: auth(TOKENS.ops),
    });
    expect(resumed.status).toBe(200);
    expect((await resumed.json()).actions.at(-1)).toMatchObject({ action: 'resume', actor: 'ops' });

    const final = await waitFor(id, ended);
    expect(final.phase).toBe('Promoted');
    const late = await post(`/v1/releases/${id}/abort`, { reason: 'too late' }, TOKENS.approver);
    expect(late.status).toBe(409);
    expect((await late.json()).detail).toBe(
      `cannot abort release ${id}: the release has already ended (Promoted)`,
    );
  });

  it('approves a pending gate and promotes early on request', async () => {
    const spec = specBody({
      releaseId: `gate-${Date.now()}`,
      schedule: {
        steps: [
          { weight: 10, observe: '1s' },
          { weight: 50, observe: '1m', approval: true },
        ],
      },
    });
    expect((await post('/v1/releases', spec)).status).toBe(201);
    const id = spec.releaseId as string;
    const gated = await waitFor(id, (s) => s.phase === 'AwaitingApproval');
    expect(gated.pendingGate).toMatchObject({ kind: 'step', step: 2 });
    const approved = await post(
      `/v1/releases/${id}/approve`,
      { comment: 'looks good' },
      TOKENS.approver,
    );
    expect(approved.status).toBe(200);
    expect((await approved.json()).actions.at(-1)).toMatchObject({
      action: 'approve',
      actor: 'alice',
      context: 'gate before step 2',
    });
    await waitFor(id, (s) => s.step === 2 && s.windowEndsAt !== null);
    expect((await post(`/v1/releases/${id}/promote`, {}, TOKENS.approver)).status).toBe(200);
    const final = await waitFor(id, ended);
    expect(final.phase).toBe('Promoted');
    expect(final.outcome).toBe('promoted v2 early at the request of alice');
  });

  it('aborts with the reason in the history and answers 404 for unknown ids', async () => {
    const spec = specBody({
      releaseId: `abort-${Date.now()}`,
      schedule: { steps: [{ weight: 10, observe: '1m' }] },
    });
    expect((await post('/v1/releases', spec)).status).toBe(201);
    const id = spec.releaseId as string;
    await waitFor(id, (s) => s.windowEndsAt !== null);
    const aborted = await post(
      `/v1/releases/${id}/abort`,
      { reason: 'pager went off' },
      TOKENS.approver,
    );
    expect(aborted.status).toBe(200);
    expect((await aborted.json()).actions.at(-1)).toMatchObject({
      action: 'abort',
      actor: 'alice',
      comment: 'pager went off',
    });
    const final = await waitFor(id, ended);
    expect(final).toMatchObject({
      phase: 'RolledBack',
      outcome: 'aborted by alice: pager went off',
    });
    for (const action of [
      'approve',
      'abort',
      'pause',
      'resume',
      'promote',
      'rollback',
      'abandon',
    ]) {
      const res = await post(
        `/v1/releases/unknown-${Date.now()}/${action}`,
        action === 'abort' ? { reason: 'x' } : {},
        TOKENS.approver,
      );
      expect(res.status).toBe(404);
    }
  });
});

describe('undoing a promotion during its bake', () => {
  it('refuses rollback with 409 before promotion, then restores the previous version during the bake', async () => {
    const spec = specBody({
      releaseId: `bake-${Date.now()}`,
      schedule: { steps: [{ weight: 10, observe: '2s' }] },
      policies: { promotion: { bake: '1m' } },
    });
    expect((await post('/v1/releases', spec)).status).toBe(201);
    const id = spec.releaseId as string;
    await waitFor(id, (s) => s.phase === 'Progressing');
    const early = await post(`/v1/releases/${id}/rollback`, {}, TOKENS.approver);
    expect(early.status).toBe(409);
    expect((await early.json()).detail).toContain(
      'rollback applies only while a promoted release bakes',
    );
    const baking = await waitFor(id, (s) => s.phase === 'Baking');
    expect(baking.bake).toMatchObject({ looks: 10 });
    const undone = await post(
      `/v1/releases/${id}/rollback`,
      { comment: 'errors in checkout' },
      TOKENS.approver,
    );
    expect(undone.status).toBe(200);
    const final = await waitFor(id, ended);
    expect(final).toMatchObject({
      phase: 'RolledBack',
      outcome: 'rollback of the promotion requested by alice during the bake: errors in checkout',
    });
    expect((await post(`/v1/releases/${id}/abandon`, {}, TOKENS.approver)).status).toBe(409);
  });
});

describe('acting on a release whose service has moved on', () => {
  it('refuses an action for an ended release that lagging visibility still lists as running, and leaves the next release alone', async () => {
    const first = specBody({
      releaseId: `moved-a-${Date.now()}`,
      schedule: { steps: [{ weight: 10, observe: '1m' }] },
    });
    expect((await post('/v1/releases', first)).status).toBe(201);
    const firstId = first.releaseId as string;
    await waitFor(firstId, (s) => s.windowEndsAt !== null);
    // what visibility said while the first release ran, served from now on as if its index lagged
    const client = stack.env.client;
    const stale: unknown[] = [];
    for await (const info of client.workflow.list({ query: `CanaryReleaseId = "${firstId}"` }))
      stale.push(info);
    expect(stale).toHaveLength(1);
    const lagging = bound(client, {
      workflow: bound(client.workflow, {
        list: (options?: { query?: string }) =>
          options?.query?.includes(firstId)
            ? (async function* () {
                yield* stale;
              })()
            : client.workflow.list(options),
      }),
    });
    const laggingApp = stack.appWith({ client: lagging });

    expect(
      (await post(`/v1/releases/${firstId}/abort`, { reason: 'make way' }, TOKENS.approver)).status,
    ).toBe(200);
    await waitFor(firstId, ended);
    const second = specBody({
      service: first.service,
      releaseId: `moved-b-${Date.now()}`,
      schedule: { steps: [{ weight: 10, observe: '1m' }] },
    });
    expect((await post('/v1/releases', second)).status).toBe(201);
    const secondId = second.releaseId as string;
    await waitFor(secondId, (s) => s.windowEndsAt !== null);

    const res = await laggingApp.request(`/v1/releases/${firstId}/pause`, {
      method: 'POST',
      headers: jsonHeaders(TOKENS.approver),
      body: '{}',
    });
    expect(res.status).toBe(409);
    const problem = await res.json();
    expect(problem.type).toBe('urn:canary-engine:problem:release-ended');
    expect(problem.detail).toBe(
      `cannot pause release ${firstId}: the release has already ended (RolledBack)`,
    );
    const secondStatus = await statusOf(secondId);
    expect(secondStatus).toMatchObject({ paused: false, actions: [] });
    expect(
      (await post(`/v1/releases/${secondId}/abort`, { reason: 'cleanup' }, TOKENS.approver)).status,
    ).toBe(200);
  });
});

/** `target` with some members replaced and every other method bound to it. */
function bound<T extends object>(target: T, replaced: Record<string, unknown>): T {
  return new Proxy(target, {
    get(object, property) {
      if (typeof property === 'string' && property in replaced) return replaced[property];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(object)
        : value;
    },
  });
}

describe('metrics', () => {
  it('counts starts and ends by service, verdicts by verdict, and requests by route pattern', async () => {
    const spec = specBody({ releaseId: `metrics-${Date.now()}` });
    expect((await post('/v1/releases', spec)).status).toBe(201);
    await waitFor(spec.releaseId as string, ended);
    await statusOf(spec.releaseId as string); // a second read must not count the release twice
    const text = await (await stack.app.request('/metrics')).text();
    expect(text).toContain(`canary_releases_started_total{service="${spec.service}"} 1`);
    expect(text).toContain(`canary_releases_promoted_total{service="${spec.service}"} 1`);
    expect(text).toContain(`canary_weight_percent{service="${spec.service}"} 0`);
    expect(text).toMatch(/canary_analysis_verdicts_total\{verdict="pass"\} \d+/);
    expect(text).toMatch(
      /canary_api_http_requests_total\{method="GET",route="\/v1\/releases\/:id",status="200"\} \d+/,
    );
  });
});
