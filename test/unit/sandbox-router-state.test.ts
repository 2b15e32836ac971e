/**
 * The sandbox router's rules without a network: the state store (weights, cohorts, canary,
 * promotion, generations), where requests go, and the control API's HTTP answers through
 * Hono's app.request().
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { controlApi } from '../../sandbox/control-api.js';
import { ControlError } from '../../sandbox/errors.js';
import { RouterStateStore } from '../../sandbox/router-state.js';

const VERSIONS = ['v1', 'v2', 'v3', 'v4'];
const store = () => new RouterStateStore(VERSIONS, 'v1');
const headers = (h: Record<string, string>) => (name: string) => h[name];
const noHeaders = headers({});

function refused(action: () => unknown): ControlError {
  try {
    action();
  } catch (error) {
    if (error instanceof ControlError) return error;
    throw error;
  }
  throw new Error('expected a ControlError');
}

describe('RouterStateStore', () => {
  it('starts with all traffic on the initial stable version, no canary and generation 1', () => {
    expect(store().state).toEqual({
      stableVersion: 'v1',
      canaryVersion: null,
      weights: { stable: 100, canary: 0 },
      cohorts: [],
      generation: 1,
      versions: VERSIONS,
    });
  });

  it('rejects weights that are not integers 0–100 summing to 100 with 400 invalid-weights', () => {
    const s = store();
    s.setCanary('v2');
    for (const weights of [
      { stable: 60, canary: 50 },
      { stable: 99.5, canary: 0.5 },
      { stable: 110, canary: -10 },
    ]) {
      expect(refused(() => s.setWeights(weights))).toMatchObject({
        status: 400,
        code: 'invalid-weights',
      });
    }
    expect(s.state.weights).toEqual({ stable: 100, canary: 0 });
  });

  it('refuses a canary share while no canary version is set, with 409 no-canary', () => {
    expect(refused(() => store().setWeights({ stable: 90, canary: 10 }))).toMatchObject({
      status: 409,
      code: 'no-canary',
    });
  });

  it('increments the generation on every change and not on a write that changes nothing', () => {
    const s = store();
    expect(s.setCanary('v2').generation).toBe(2);
    expect(s.setWeights({ stable: 80, canary: 20 }).generation).toBe(3);
    expect(s.setWeights({ stable: 80, canary: 20 }).generation).toBe(3);
  });

  it('refuses a write with a stale ifGeneration with 409 generation-conflict and applies a current one', () => {
    const s = store();
    s.setCanary('v2');
    expect(refused(() => s.setWeights({ stable: 70, canary: 30 }, 1))).toMatchObject({
      status: 409,
      code: 'generation-conflict',
    });
    expect(s.setWeights({ stable: 70, canary: 30 }, 2).weights).toEqual({ stable: 70, canary: 30 });
  });

  it('rejects versions the sandbox does not run', () => {
    expect(refused(() => store().setCanary('v9'))).toMatchObject({
      status: 400,
      code: 'unknown-version',
    });
    expect(() => new RouterStateStore(VERSIONS, 'v0')).toThrow(/unknown stable version "v0"/);
  });

  it('changes or clears the canary only while it gets no traffic', () => {
    const s = store();
    s.setCanary('v3');
    s.setWeights({ stable: 90, canary: 10 });
    expect(refused(() => s.setCanary(null))).toMatchObject({ status: 409, code: 'canary-in-use' });
    expect(refused(() => s.setCanary('v2'))).toMatchObject({ status: 409, code: 'canary-in-use' });
    s.setWeights({ stable: 100, canary: 0 });
    s.setCohorts([{ type: 'header', name: 'x-canary', value: 'yes' }]);
    expect(refused(() => s.setCanary(null))).toMatchObject({ status: 409, code: 'canary-in-use' });
    s.setCohorts([]);
    expect(s.setCanary(null).canaryVersion).toBeNull();
  });

  it('promotes by making the canary version the stable one, and refuses without a canary', () => {
    const s = store();
    expect(refused(() => s.promote())).toMatchObject({ status: 409, code: 'no-canary' });
    s.setCanary('v2');
    s.setWeights({ stable: 50, canary: 50 });
    expect(s.promote()).toMatchObject({
      stableVersion: 'v2',
      canaryVersion: 'v2',
      weights: { stable: 50, canary: 50 },
    });
  });

  it('rejects a cohort whose regular expression does not compile', () => {
    const s = store();
    s.setCanary('v2');
    expect(
      refused(() => s.setCohorts([{ type: 'headerRegex', name: 'x-user', regex: '(' }])),
    ).toMatchObject({ status: 400, code: 'invalid-cohort' });
  });
});

describe('RouterStateStore.route', () => {
  it('sends everything to stable while no canary is set, whatever the draw', () => {
    expect(store().route(noHeaders, 0)).toEqual({ arm: 'stable', version: 'v1', reason: 'weight' });
  });

  it('sends a request to the canary when the draw falls within its weight', () => {
    const s = store();
    s.setCanary('v2');
    s.setWeights({ stable: 70, canary: 30 });
    expect(s.route(noHeaders, 0.29).arm).toBe('canary');
    expect(s.route(noHeaders, 0.3).arm).toBe('stable');
    const draws = Array.from({ length: 1000 }, (_, i) => i / 1000);
    expect(draws.filter((d) => s.route(noHeaders, d).arm === 'canary')).toHaveLength(300);
  });

  it('sends cohort requests to the canary regardless of weight: exact header, whole-value regex, and cookie', () => {
    const s = store();
    s.setCanary('v3');
    s.setCohorts([
      { type: 'header', name: 'X-Canary', value: 'always' },
      { type: 'headerRegex', name: 'x-user', regex: 'beta-[0-9]+' },
      { type: 'cookie', name: 'tenant', value: 'gray' },
    ]);
    const arm = (h: Record<string, string>) => s.route(headers(h), 0.99);
    expect(s.route(headers({ 'x-canary': 'always' }), 0.99)).toEqual({
      arm: 'canary',
      version: 'v3',
      reason: 'cohort',
    });
    expect(arm({ 'x-canary': 'Always' }).arm).toBe('stable');
    expect(arm({ 'x-user': 'beta-42' }).arm).toBe('canary');
    expect(arm({ 'x-user': 'xbeta-42' }).arm).toBe('stable');
    expect(arm({ 'x-user': 'beta-42x' }).arm).toBe('stable');
    expect(arm({ cookie: 'session=1; tenant=gray' }).arm).toBe('canary');
    expect(arm({ cookie: 'tenant=gray' }).arm).toBe('canary');
    expect(arm({ cookie: 'xtenant=gray' }).arm).toBe('stable');
    expect(arm({ cookie: 'tenant=grayish' }).arm).toBe('stable');
    expect(arm({}).arm).toBe('stable');
  });
});

describe('control API', () => {
  const app = () => controlApi(store(), new Registry());
  const send = (a: ReturnType<typeof app>, method: string, path: string, body?: unknown) =>
    a.request(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('answers GET /control/state with the state', async () => {
    const response = await app().request('/control/state');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      stableVersion: 'v1',
      canaryVersion: null,
      weights: { stable: 100, canary: 0 },
      cohorts: [],
      generation: 1,
    });
  });

  it('answers a write with the state after it', async () => {
    const a = app();
    expect(await (await send(a, 'PUT', '/control/canary', { version: 'v2' })).json()).toMatchObject(
      { canaryVersion: 'v2', generation: 2 },
    );
    const response = await send(a, 'PUT', '/control/weights', {
      stable: 80,
      canary: 20,
      ifGeneration: 2,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      weights: { stable: 80, canary: 20 },
      generation: 3,
    });
  });

  it('refuses 60/50 with 400 and a JSON error that says why', async () => {
    const response = await send(app(), 'PUT', '/control/weights', { stable: 60, canary: 50 });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'invalid-weights',
      message: 'invalid weights: weights 60/50 must sum to 100',
    });
  });

  it('refuses a stale ifGeneration with 409, also on DELETE and POST', async () => {
    const a = app();
    await send(a, 'PUT', '/control/canary', { version: 'v2' });
    for (const [method, path, body] of [
      ['PUT', '/control/weights', { stable: 90, canary: 10, ifGeneration: 1 }],
      ['DELETE', '/control/cohorts?ifGeneration=1', undefined],
      ['POST', '/control/promote', { ifGeneration: 1 }],
    ] as const) {
      const response = await send(a, method, path, body);
      expect(response.status).toBe(409);
      expect(await response.json()).toMatchObject({ error: 'generation-conflict' });
    }
  });

  it('refuses bodies that are not JSON or have unknown fields, with 400 invalid-request', async () => {
    const a = app();
    const notJson = await a.request('/control/weights', { method: 'PUT', body: 'stable=100' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({
      error: 'invalid-request',
      message: 'the request body must be JSON',
    });
    const extra = await send(a, 'PUT', '/control/canary', { version: 'v2', replicas: 3 });
    expect(extra.status).toBe(400);
    expect((await extra.json()).message).toMatch(/replicas/);
  });

  it('sets and removes cohorts and promotes', async () => {
    const a = app();
    await send(a, 'PUT', '/control/canary', { version: 'v4' });
    const cohorts = [{ type: 'cookie', name: 'canary', value: 'always' }];
    expect(await (await send(a, 'PUT', '/control/cohorts', { cohorts })).json()).toMatchObject({
      cohorts,
    });
    expect(await (await send(a, 'DELETE', '/control/cohorts')).json()).toMatchObject({
      cohorts: [],
    });
    expect(await (await send(a, 'POST', '/control/promote')).json()).toMatchObject({
      stableVersion: 'v4',
    });
    expect(await (await send(a, 'PUT', '/control/stable', { version: 'v1' })).json()).toMatchObject(
      { stableVersion: 'v1' },
    );
  });

  it('answers unknown endpoints with a JSON 404', async () => {
    const response = await app().request('/control/replicas');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'not-found',
      message: 'no control endpoint GET /control/replicas',
    });
  });

  it('routes a user bucket by the id, sticky and monotone, and a query parameter by value or whole-value regex', () => {
    const s = store();
    s.setCanary('v3');
    const url = (q: string) => (name: string) => new URLSearchParams(q).get(name) ?? undefined;
    const arm = (h: Record<string, string>, q = '') => s.route(headers(h), 0.99, url(q)).arm;
    s.setCohorts([{ type: 'userBucket', header: 'X-User-Id', idFormat: 'decimal', percent: 5 }]);
    expect(arm({ 'x-user-id': '1204' })).toBe('canary');
    expect(arm({ 'x-user-id': '1205' })).toBe('stable');
    expect(arm({})).toBe('stable');
    const ids = Array.from({ length: 2000 }, (_, i) => `user-${i * 7919}@example.com`);
    const canaryAt = (percent: number) => {
      s.setCohorts([{ type: 'userBucket', header: 'x-user-id', idFormat: 'any', percent }]);
      return new Set(ids.filter((id) => arm({ 'x-user-id': id }) === 'canary'));
    };
    const [five, twentyFive] = [canaryAt(5), canaryAt(25)];
    expect(Math.abs(five.size / 20 - 5)).toBeLessThanOrEqual(2);
    expect(Math.abs(twentyFive.size / 20 - 25)).toBeLessThanOrEqual(2);
    expect([...five].filter((id) => !twentyFive.has(id))).toEqual([]);
    s.setCohorts([
      { type: 'queryParam', name: 'ab_test', value: 'v2' },
      { type: 'queryParam', name: 'beta', regex: 'on|yes' },
    ]);
    expect(arm({}, 'ab_test=v2')).toBe('canary');
    expect(arm({}, 'ab_test=v22')).toBe('stable');
    expect(arm({}, 'beta=yes')).toBe('canary');
    expect(arm({}, 'beta=yesno')).toBe('stable');
    expect(arm({ ab_test: 'v2' })).toBe('stable');
  });
});
