/**
 * Attack suite for issue #13 item 2, through the real API with a real worker on the shared
 * Temporal dev server: a token scoped to namespace A that starts, aborts or reads a release in
 * namespace B, and lists releases; a deployer approving their own release with four eyes on; and,
 * on the real kube-apiserver with the real activities, a canary Deployment that does not opt in and
 * a namespace off the worker's allow-list. Each is refused and changes nothing. The table of
 * attacks, statuses and effects is printed at the end.
 */
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { parseTokenEntry, TokenStore } from '../../api/auth.js';
import type { KubeClients } from '../../activities/kube/kube-clients.js';
import { KINDS, objectRef } from '../../activities/kube/objects.js';
import { createActivities } from '../../activities/release-activities.js';
import { createTrafficRouter } from '../../activities/routers/factory.js';
import { createWorkloadManager } from '../../activities/workloads/factory.js';
import { releaseWorkflowId } from '../../core/spec.js';
import { approveSignal } from '../../workflows/messages.js';
import {
  auth,
  jsonHeaders,
  memoryLogger,
  specBody,
  startApiStack,
  type ApiStack,
} from '../harness/api.js';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal.js';
import { startWorker } from '../harness/workflow-worker.js';
import {
  deployment,
  freshNamespace,
  readObject,
  rolledOut,
  testKube,
} from '../fixtures/kube/cluster.js';
import { createReviews, REVIEWS_ISTIO_ROUTER } from '../fixtures/kube/routing.js';

interface Status {
  phase: string;
  outcome: string | null;
  pendingGate: unknown;
  timeline: { message: string }[];
}

const TOKEN = {
  scopedA: 'scoped-a-token-0123456789',
  ops: 'attack-ops-token-0123456789',
  alice: 'attack-alice-token-0123456789',
};
const suffix = randomBytes(3).toString('hex');
const NS_A = `team-a-${suffix}`;
const NS_B = `team-b-${suffix}`;

/** attack → status → effect, printed once every attack has run. */
const table: { attack: string; status: number | string; effect: string }[] = [];
afterAll(() => {
  console.log(
    [
      'attack → status → effect',
      ...table.map((r) => `${r.attack} → ${r.status} → ${r.effect}`),
    ].join('\n'),
  );
});

function tokenStore(): TokenStore {
  return new TokenStore([
    parseTokenEntry(`ci-a=${TOKEN.scopedA}:deployer+approver+viewer@${NS_A}`, 'attack'),
    parseTokenEntry(`ops=${TOKEN.ops}:deployer+approver+viewer`, 'attack'),
    parseTokenEntry(`alice=${TOKEN.alice}:approver+viewer`, 'attack'),
  ]);
}

type App = ReturnType<typeof createApp>;

const post = (app: App, path: string, body: unknown, token: string) =>
  app.request(path, { method: 'POST', headers: jsonHeaders(token), body: JSON.stringify(body) });

async function statusOf(app: App, id: string): Promise<Status> {
  const res = await app.request(`/v1/releases/${id}`, { headers: auth(TOKEN.ops) });
  expect(res.status).toBe(200);
  return (await res.json()) as Status;
}

async function waitFor(app: App, id: string, done: (s: Status) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await statusOf(app, id).catch(() => undefined);
    if (status && done(status)) return status;
    if (Date.now() > deadline) throw new Error(`timed out; last phase ${status?.phase}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A release that waits at an approval gate before its second step. */
const gatedSpec = (namespace: string, policies: Record<string, unknown> = {}) =>
  specBody({
    namespace,
    releaseId: `attack-${namespace}-${randomBytes(3).toString('hex')}`,
    schedule: {
      steps: [
        { weight: 10, observe: '1s' },
        { weight: 50, observe: '1m', approval: true },
      ],
    },
    policies,
  });

describe('attacks on token scopes and four eyes', () => {
  let stack: ApiStack;
  let app: App;
  let inA: string;
  let inB: string;
  let serviceA: string;

  beforeAll(async () => {
    stack = await startApiStack();
    app = stack.appWith({ tokens: tokenStore() });
    const a = gatedSpec(NS_A, { approval: { distinctApprover: true } });
    const b = gatedSpec(NS_B);
    expect((await post(app, '/v1/releases', a, TOKEN.ops)).status).toBe(201);
    expect((await post(app, '/v1/releases', b, TOKEN.ops)).status).toBe(201);
    inA = a.releaseId as string;
    serviceA = a.service as string;
    inB = b.releaseId as string;
    await waitFor(app, inA, (s) => s.phase === 'AwaitingApproval');
    await waitFor(app, inB, (s) => s.phase === 'AwaitingApproval');
  }, 90_000);

  afterAll(async () => {
    for (const id of [inA, inB])
      if (id) await post(app, `/v1/releases/${id}/abort`, { reason: 'test over' }, TOKEN.ops);
    await stack?.stop();
  });

  it('refuses a token scoped to namespace A that starts a release in namespace B, and starts nothing', async () => {
    const spec = specBody({ namespace: NS_B, service: 'web' });
    const res = await post(app, '/v1/releases', spec, TOKEN.scopedA);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await res.json()) as { detail: string; scopes: string[] };
    expect(problem.detail).toBe(
      `the token of ci-a may not start a release of ${NS_B}/web: it is scoped to ${NS_A}, and the release is in namespace ${NS_B}, service web`,
    );
    expect(problem.scopes).toEqual([NS_A]);
    const started = await stack.env.client.workflow
      .getHandle(releaseWorkflowId(NS_B, 'web'))
      .describe()
      .then(
        () => true,
        () => false,
      );
    expect(started).toBe(false);
    table.push({
      attack: 'scoped to A, start in B',
      status: res.status,
      effect: 'no workflow started',
    });
  });

  it('refuses a token scoped to namespace A that aborts or reads a release in namespace B, which keeps waiting', async () => {
    const abort = await post(
      app,
      `/v1/releases/${inB}/abort`,
      { reason: 'sabotage' },
      TOKEN.scopedA,
    );
    expect(abort.status).toBe(403);
    expect(((await abort.json()) as { detail: string }).detail).toContain(
      `may not abort release ${inB}: it is scoped to ${NS_A}, and the release is in namespace ${NS_B}`,
    );
    const approve = await post(app, `/v1/releases/${inB}/approve`, {}, TOKEN.scopedA);
    expect(approve.status).toBe(403);
    const read = await app.request(`/v1/releases/${inB}`, { headers: auth(TOKEN.scopedA) });
    expect(read.status).toBe(403);
    const events = await app.request(`/v1/releases/${inB}/events`, {
      headers: auth(TOKEN.scopedA),
    });
    expect(events.status).toBe(403);
    const after = await statusOf(app, inB);
    expect(after.phase).toBe('AwaitingApproval');
    table.push({
      attack: 'scoped to A, abort/approve/read/follow a release in B',
      status: `${abort.status}/${approve.status}/${read.status}/${events.status}`,
      effect: `release in B still ${after.phase}`,
    });
  });

  it('lists only the releases within the token’s scopes', async () => {
    // visibility indexes a release a moment after it starts: wait until the unscoped list has both
    const listed = async (token: string, query = '') => {
      const res = await app.request(`/v1/releases?pageSize=100${query}`, { headers: auth(token) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { releases: { id: string; namespace: string }[] }).releases;
    };
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const ids = [
        ...(await listed(TOKEN.ops, `&namespace=${NS_A}`)),
        ...(await listed(TOKEN.ops, `&namespace=${NS_B}`)),
      ].map((r) => r.id);
      if (ids.includes(inA) && ids.includes(inB)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const scoped = await listed(TOKEN.scopedA);
    expect(scoped.map((r) => r.id)).toContain(inA);
    expect(scoped.every((r) => r.namespace === NS_A)).toBe(true);
    expect(await listed(TOKEN.scopedA, `&namespace=${NS_B}`)).toEqual([]);
    table.push({
      attack: 'scoped to A, list releases',
      status: 200,
      effect: `${scoped.length} release(s), all in A; none of B`,
    });
  });

  it('refuses the deployer who started a release its own approval when four eyes are on, and the release keeps waiting', async () => {
    const own = await post(app, `/v1/releases/${inA}/approve`, {}, TOKEN.ops);
    expect(own.status).toBe(403);
    const problem = (await own.json()) as { detail: string; rule: string };
    expect(problem.rule).toBe('policies.approval.distinctApprover');
    expect(problem.detail).toBe(
      `cannot approve release ${inA}: policies.approval.distinctApprover: ops started this release and may not approve it; another person must`,
    );
    // the signal path (Temporal CLI or UI) ignores it with a note in the timeline
    await stack.env.client.workflow
      .getHandle(releaseWorkflowId(NS_A, serviceA))
      .signal(approveSignal, { actor: 'ops', releaseId: inA });
    const noted = await waitFor(app, inA, (s) =>
      s.timeline.some((e) =>
        e.message.startsWith('ignored approve signal: policies.approval.distinctApprover'),
      ),
    );
    expect(noted.phase).toBe('AwaitingApproval');
    table.push({
      attack: 'deployer approves own release (four eyes), API and signal',
      status: own.status,
      effect: `still ${noted.phase}; signal ignored with a timeline note`,
    });
    const other = await post(app, `/v1/releases/${inA}/approve`, {}, TOKEN.alice);
    expect(other.status).toBe(200);
  });
});

const kube = testKube();
describe.skipIf(!kube)(
  'attacks on objects the engine may touch, on the real kube-apiserver',
  () => {
    const admin = kube as KubeClients;
    let env: TestWorkflowEnvironment;
    let worker: Worker;
    let running: Promise<void>;
    let app: App;
    const taskQueue = uniqueTaskQueue('attack-kube');

    beforeAll(async () => {
      env = await connectTestEnv();
      const activities = createActivities({
        routerFor: (spec) => createTrafficRouter(spec, admin),
        workloadsFor: (spec) => createWorkloadManager(spec, admin, { kubernetes: { pollMs: 100 } }),
        // no release in this suite gets as far as its metrics, nor asks them before (no preflight)
        metricsFor: () => ({
          name: 'no metrics',
          isOnline: async () => undefined,
          fetchBuckets: async () => {
            throw new Error('no release in this suite gets as far as its metrics');
          },
        }),
        // the worker's allow-list: only namespaces made by this suite
        allowedNamespaces: ['attack-*'],
      });
      worker = await startWorker(env, taskQueue, activities);
      running = worker.run();
      app = createApp({
        client: env.client,
        tokens: tokenStore(),
        taskQueue,
        logger: memoryLogger(),
      });
    }, 60_000);

    afterAll(async () => {
      worker?.shutdown();
      await running;
      await env?.teardown();
    });

    const istioSpec = (namespace: string) =>
      specBody({
        service: 'web',
        namespace,
        releaseId: `attack-kube-${namespace}`,
        router: REVIEWS_ISTIO_ROUTER,
        workloads: {
          type: 'kubernetes',
          stableDeployment: 'web',
          canaryDeployment: 'web-canary',
          readyTimeout: '30s',
        },
      });

    it('rejects a release whose canary Deployment does not opt in before any write, naming the Deployment', async () => {
      const namespace = await freshNamespace(admin, 'attack-optin');
      await createReviews(admin, namespace);
      await admin.apps.createNamespacedDeployment({
        namespace,
        body: deployment('web', 'web', 'stable', 'registry.example.com/web:v1', 2),
      });
      // another team's Deployment: no canary-engine.io/service label
      await admin.apps.createNamespacedDeployment({
        namespace,
        body: deployment('web-canary', 'web', 'canary', 'registry.example.com/web:v2', 0, false),
      });
      const refs = [
        objectRef(KINDS.deployment, namespace, 'web'),
        objectRef(KINDS.deployment, namespace, 'web-canary'),
        objectRef(KINDS.virtualService, namespace, 'reviews'),
      ];
      const versions = async () =>
        Promise.all(
          refs.map(async (ref) =>
            ref.kind === 'Deployment'
              ? (await admin.apps.readNamespacedDeployment({ name: ref.name, namespace })).metadata
                  ?.resourceVersion
              : (await readObject(admin, ref)).metadata.resourceVersion,
          ),
        );
      // the Deployment controller has written their status: nothing else changes them now
      await rolledOut(admin, namespace, 'web');
      await rolledOut(admin, namespace, 'web-canary');
      const before = await versions();
      const spec = istioSpec(namespace);
      const res = await post(app, '/v1/releases', spec, TOKEN.ops);
      expect(res.status).toBe(201);
      const final = await waitFor(app, spec.releaseId as string, (s) =>
        ['Promoted', 'RolledBack', 'Rejected', 'Failed'].includes(s.phase),
      );
      expect(final.phase).toBe('Rejected');
      expect(final.outcome).toBe(
        `refused before any change: the pre-flight of web found 1 problem, so the release changes nothing: ${namespace}/Deployment/web-canary: has no canary-engine.io/service label or annotation: the release of web may change only objects that opt in (label or annotation canary-engine.io/service: web) or that canary-engine created`,
      );
      expect(await versions()).toEqual(before);
      table.push({
        attack: 'canary Deployment that does not opt in',
        status: `${res.status}, then ${final.phase}`,
        effect:
          'pre-flight refused; resourceVersions of both Deployments and the VirtualService unchanged',
      });
    }, 90_000);

    it('rejects a release in a namespace off the worker’s allow-list before reading or writing anything there', async () => {
      const namespace = `elsewhere-${suffix}`;
      const spec = istioSpec(namespace);
      const res = await post(app, '/v1/releases', spec, TOKEN.ops);
      expect(res.status).toBe(201);
      const final = await waitFor(app, spec.releaseId as string, (s) =>
        ['Promoted', 'RolledBack', 'Rejected', 'Failed'].includes(s.phase),
      );
      expect(final.phase).toBe('Rejected');
      expect(final.outcome).toBe(
        `refused before any change: the pre-flight of web found 1 problem, so the release changes nothing: namespace/${namespace}: is not on this worker's allow-list (CANARY_ALLOWED_NAMESPACES: attack-*)`,
      );
      table.push({
        attack: 'release in a namespace off the worker allow-list',
        status: `${res.status}, then ${final.phase}`,
        effect: 'pre-flight refused; nothing read or written',
      });
    }, 90_000);
  },
);
