/**
 * The release event stream (Server-Sent Events) against the real Temporal dev server with a real
 * worker: events arrive as the release progresses, carry ids a client can resume from, and the
 * stream ends with the verdict.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auth,
  jsonHeaders,
  readSse,
  specBody,
  startApiStack,
  TOKENS,
  type ApiStack,
  type SseEvent,
} from '../harness/api.js';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function start(overrides: Record<string, unknown>): Promise<string> {
  const res = await stack.app.request('/v1/releases', {
    method: 'POST',
    headers: jsonHeaders(TOKENS.deployer),
    body: JSON.stringify(specBody(overrides)),
  });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

const stream = (id: string, headers: Record<string, string> = {}) =>
  stack.app.request(`/v1/releases/${id}/events`, {
    headers: { ...auth(TOKENS.viewer), ...headers },
  });

const data = (event: SseEvent | undefined) => JSON.parse(event?.data ?? 'null');

/**
 * The stream from another app on the same server: that app did not start the release, so it finds
 * it only through visibility, which indexes a new workflow a moment after its start.
 */
async function streamFrom(app: ApiStack['app'], id: string): Promise<Response> {
  for (let tries = 1; ; tries += 1) {
    const res = await app.request(`/v1/releases/${id}/events`, { headers: auth(TOKENS.viewer) });
    if (res.status !== 404 || tries >= 50) return res;
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the release event stream', () => {
  it('streams weights, decisions and phases as they happen and ends with the verdict promoted', async () => {
    const id = await start({});
    const res = await stream(id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = await readSse(res);

    expect(events[0]?.event).toBe('status');
    expect(data(events[0])).toMatchObject({ releaseId: id });
    const weights = events.filter((e) => e.event === 'weight').map((e) => data(e).weight);
    expect(weights).toEqual(expect.arrayContaining([10, 50]));
    const decisions = events.filter((e) => e.event === 'decision').map(data);
    expect(decisions).toHaveLength(2);
    expect(decisions[0]).toMatchObject({
      step: 1,
      look: 1,
      verdict: 'pass',
      explanation: 'scripted pass',
      action: 'next step',
    });
    expect(decisions[0].decision).toMatchObject({ decision: { decidedBy: 'metric:errorRate' } });
    expect(events.filter((e) => e.event === 'phase').map((e) => data(e).phase)).toContain(
      'Promoted',
    );

    const last = events.at(-1);
    expect(last?.event).toBe('verdict');
    expect(data(last)).toMatchObject({
      verdict: 'promoted',
      phase: 'Promoted',
      outcome: 'promoted v2: every step passed analysis',
    });
    const ids = events.slice(1).map((e) => e.id);
    expect(ids.every((i) => typeof i === 'string' && /^\d+-\d+-\d+$/.test(i))).toBe(true);
    expect(new Set(ids.slice(0, -1)).size).toBe(ids.length - 1);
  });

  it('ends with the verdict rolled back and the reason when analysis fails', async () => {
    const id = await start({ canaryVersion: 'bad-v3' });
    const events = await readSse(await stream(id));
    const verdict = data(events.at(-1));
    expect(events.at(-1)?.event).toBe('verdict');
    expect(verdict).toMatchObject({ verdict: 'rolled back', phase: 'RolledBack' });
    expect(verdict.outcome).toContain('analysis failed at step 1');
    expect(events.filter((e) => e.event === 'decision').map((e) => data(e).verdict)).toEqual([
      'fail',
    ]);
  });

  it('resumes after Last-Event-ID without repeating earlier events', async () => {
    const id = await start({});
    const all = await readSse(await stream(id));
    const events = all.filter((e) => e.event !== 'status');
    const resumeAt = events[2] as SseEvent;
    const resumed = (
      await readSse(await stream(id, { 'last-event-id': resumeAt.id as string }))
    ).filter((e) => e.event !== 'status');
    expect(resumed.map((e) => `${e.event}:${e.id}`)).toEqual(
      events.slice(3).map((e) => `${e.event}:${e.id}`),
    );
  });

  it('shows an action by a person in the stream with the actor', async () => {
    const id = await start({ schedule: { steps: [{ weight: 10, observe: '1m' }] } });
    const res = await stream(id);
    const reading = readSse(res);
    await new Promise((r) => setTimeout(r, 1000));
    const abort = await stack.app.request(`/v1/releases/${id}/abort`, {
      method: 'POST',
      headers: jsonHeaders(TOKENS.approver),
      body: JSON.stringify({ reason: 'stop it' }),
    });
    expect(abort.status).toBe(200);
    const events = await reading;
    expect(events.filter((e) => e.event === 'action').map((e) => data(e).message)).toEqual([
      'abort by alice (step 1): stop it',
    ]);
    expect(data(events.at(-1))).toMatchObject({
      verdict: 'rolled back',
      outcome: 'aborted by alice: stop it',
    });
  });

  it('reports the real verdict of a release that finishes while the stream reads a cached status', async () => {
    // a status cache far longer than the poll: every read after the first is stale, so the stream
    // learns of the end only from its liveness check and must then read the final status afresh
    const app = stack.appWith({ statusCacheMs: 60_000, streamPollMs: 20 });
    const id = await start({});
    const res = await streamFrom(app, id);
    expect(res.status).toBe(200);
    const events = await readSse(res);
    expect(events.at(-1)?.event).toBe('verdict');
    expect(data(events.at(-1))).toMatchObject({ verdict: 'promoted', phase: 'Promoted' });
    expect(events.filter((e) => e.event === 'weight').map((e) => data(e).weight)).toEqual(
      expect.arrayContaining([10, 50]),
    );
  });

  it('ends promptly with the verdict "ended" on a release that was terminated', async () => {
    const res = await stack.app.request('/v1/releases', {
      method: 'POST',
      headers: jsonHeaders(TOKENS.deployer),
      body: JSON.stringify(specBody({ schedule: { steps: [{ weight: 10, observe: '1m' }] } })),
    });
    expect(res.status).toBe(201);
    const { id, workflowId } = await res.json();
    await readSse(await stream(id), (e) => e.event === 'weight');
    await stack.env.client.workflow.getHandle(workflowId).terminate('test: terminated');
    // wait until the API finds the release not running (visibility follows the termination shortly)
    for (let tries = 0; ; tries += 1) {
      const found = await (
        await stack.app.request(`/v1/releases/${id}`, { headers: auth(TOKENS.viewer) })
      ).json();
      if (found.running === false) break;
      expect(tries).toBeLessThan(100);
      await new Promise((r) => setTimeout(r, 100));
    }
    // polls 2 s apart: waiting for the periodic check (every 10 polls) would take 20 s
    const app = stack.appWith({ streamPollMs: 2000 });
    const startedAt = Date.now();
    const events = await readSse(await streamFrom(app, id));
    expect(Date.now() - startedAt).toBeLessThan(8000);
    expect(events.at(-1)?.event).toBe('verdict');
    expect(data(events.at(-1))).toMatchObject({ verdict: 'ended', phase: 'Progressing' });
  });

  it('ends a stream at once when the server was already shutting down when it started', async () => {
    const id = await start({ schedule: { steps: [{ weight: 10, observe: '1m' }] } });
    const app = stack.appWith({ shutdown: AbortSignal.abort() });
    const res = await streamFrom(app, id);
    expect(res.status).toBe(200);
    const events = await Promise.race([
      readSse(res),
      new Promise<'still streaming'>((r) => setTimeout(() => r('still streaming'), 5000)),
    ]);
    expect(events).toEqual([]);
    const abort = await stack.app.request(`/v1/releases/${id}/abort`, {
      method: 'POST',
      headers: jsonHeaders(TOKENS.approver),
      body: JSON.stringify({ reason: 'test done' }),
    });
    expect(abort.status).toBe(200);
  });

  it('answers 404 before streaming for an unknown release', async () => {
    const res = await stream('never-started-release');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});
