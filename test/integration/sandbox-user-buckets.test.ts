/**
 * A user-bucket schedule end to end in the sandbox: the release activities apply each step of a
 * `schedule.mode: "userBuckets"` spec (5% → 25% → 50% of users) to a real sandbox router, and
 * 2,000 simulated users, each sending a request with their own id, are counted by the arm that
 * answered (the router's `x-sandbox-arm`). The canary's share of users is within 2 points of each
 * step and no user served by the canary at one step is served by stable at a later one; requests
 * without an id stay on stable; an abort (0%) sends every user back to stable.
 */
import { Agent, get as httpGet } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/release-activities.js';
import { validateReleaseSpec, type ReleaseSpec } from '../../core/spec.js';
import { withStableVersion } from '../harness/release-spec.js';
import { sandboxProviders, startSandbox, type Sandbox } from '../../sandbox/index.js';

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ routerPort: 0, traffic: false });
});
afterAll(async () => {
  agent.destroy();
  await sandbox?.stop();
});

/** The arm that answered one GET, with the given headers. */
function armOf(headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet(sandbox.routerUrl, { agent, headers }, (res) => {
      res.resume();
      res.once('end', () => resolve(String(res.headers['x-sandbox-arm'])));
    });
    req.once('error', reject);
  });
}

/** The users (of `ids`) the canary served, one request each, 64 at a time. */
async function canaryUsers(ids: string[]): Promise<Set<string>> {
  const served = new Set<string>();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      if ((await armOf({ 'x-user-id': id })) === 'canary') served.add(id);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return served;
}

function bucketSpec(): ReleaseSpec {
  const result = validateReleaseSpec({
    service: 'demo',
    namespace: 'sandbox',
    stableVersion: 'v1',
    canaryVersion: 'v2',
    router: { type: 'sandbox' },
    workloads: { type: 'sandbox' },
    schedule: {
      mode: 'userBuckets',
      userBucket: { header: 'x-user-id', idFormat: 'any' },
      steps: [5, 25, 50].map((weight) => ({ weight, observe: '1m' })),
    },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return withStableVersion(result.spec);
}

describe('a user-bucket schedule in the sandbox', () => {
  it('gives each step its share of 2,000 users within 2 points, and no user goes back to stable', async () => {
    const spec = bucketSpec();
    const providers = sandboxProviders({ defaultUrl: sandbox.routerUrl });
    const router = providers.router({ type: 'sandbox' }, spec);
    const workloads = providers.workloads({ type: 'sandbox' }, spec);
    const activities = createActivities({
      routerFor: () => router,
      workloadsFor: () => workloads,
      metricsFor: () => {
        throw new Error('no metrics in this test');
      },
      scrapeLagMs: () => 0,
    });
    await workloads.prepareCanary(() => undefined);
    await router.initialize(spec.cohorts);
    const ids = Array.from({ length: 2000 }, (_, i) => `user-${(i * 2_654_435_761) % 1e9}`);

    let before = new Set<string>();
    const shares: string[] = [];
    for (const percent of [5, 25, 50]) {
      expect(await activities.setCanaryWeight(spec, percent)).toEqual({
        stable: 100 - percent,
        canary: percent,
      });
      expect(sandbox.router.store.state.weights).toEqual({ stable: 100, canary: 0 });
      const now = await canaryUsers(ids);
      const share = (100 * now.size) / ids.length;
      shares.push(`${percent}% → ${share.toFixed(2)}%`);
      expect(Math.abs(share - percent), `step ${percent}%`).toBeLessThanOrEqual(2);
      expect([...before].filter((id) => !now.has(id))).toEqual([]);
      before = now;
    }
    console.log(`sandbox user-bucket schedule over 2,000 users: ${shares.join(', ')}`);
    const anonymous = await Promise.all(Array.from({ length: 50 }, () => armOf({})));
    expect(new Set(anonymous)).toEqual(new Set(['stable']));

    await activities.setCanaryWeight(spec, 0);
    expect(sandbox.router.store.state.cohorts).toEqual([]);
    expect((await canaryUsers(ids.slice(0, 200))).size).toBe(0);
  });
});
