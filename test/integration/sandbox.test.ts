/**
 * The local sandbox on loopback ports: the demo versions behave as the table says, the router
 * splits by weight and honours cohorts, its control API validates, and what only SandboxRouter
 * and SandboxWorkloads do is checked against it. Both also run their family's contract suite
 * (test/unit/sandbox-contracts.test.ts).
 */
import { Agent, get as httpGet } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RouteVerificationError } from '../../activities/routers/errors.js';
import type { Cohort } from '../../core/routing/config.js';
import { validateReleaseSpec, type ReleaseSpec } from '../../core/spec.js';
import { withStableVersion } from '../harness/release-spec.js';
import {
  sandboxProviders,
  SandboxRequestError,
  SandboxRouter,
  SandboxUnreachableError,
  SandboxWorkloadError,
  SandboxWorkloads,
  startSandbox,
  startTraffic,
  type Sandbox,
} from '../../sandbox/index.js';
import { startRouterServer } from '../../sandbox/router-server.js';
import { median } from '../../bench/lib/stats.js';

interface Answer {
  status: number;
  ms: number;
  headers: Headers;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One GET with node:http (lighter than fetch, so the client adds little to the latency it measures). */
function get(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpGet(url, { agent, headers }, (res) => {
      res.resume();
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ms: performance.now() - started,
          headers: new Headers(res.headers as Record<string, string>),
        }),
      );
    });
    req.once('error', reject);
  });
}

/**
 * Sends `count` GETs to each URL, interleaved (url 1, url 2, …, url 1, …) so that any slowness of
 * this shared machine hits every URL alike, at most `concurrency` at a time. Answers per URL.
 */
async function hitEach(
  urls: string[],
  count: number,
  concurrency = 30,
  headers: Record<string, string> = {},
): Promise<Answer[][]> {
  const answers: Answer[][] = urls.map(() => []);
  const total = urls.length * count;
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++ % urls.length;
      (answers[i] as Answer[]).push(await get(urls[i] as string, headers));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return answers;
}

const hit = async (
  url: string,
  count: number,
  concurrency = 30,
  headers: Record<string, string> = {},
): Promise<Answer[]> => (await hitEach([url], count, concurrency, headers))[0] as Answer[];

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const errorsOf = (answers: Answer[]) => answers.filter((a) => a.status === 500).length;
/** A binomial count's mean ± 4 standard deviations: a false failure about once in 16,000 runs. */
const binomialRange = (n: number, p: number): [number, number] => {
  const sd = Math.sqrt(n * p * (1 - p));
  return [Math.max(0, n * p - 4 * sd), n * p + 4 * sd];
};

/** A counter's value from Prometheus text exposition, by its full label set in any order. */
function sample(text: string, metric: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const labelText = line.slice(metric.length + 1, line.indexOf('}'));
    const found = Object.fromEntries(
      labelText
        .split(',')
        .map((pair) => pair.split('=') as [string, string])
        .map(([k, v]) => [k, v.replace(/"/g, '')]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  throw new Error(`no sample ${metric}${JSON.stringify(labels)} in:\n${text}`);
}

const COHORTS: Cohort[] = [
  { type: 'header', name: 'X-Canary', value: 'always' },
  { type: 'headerRegex', name: 'x-user', regex: 'beta-[0-9]+' },
  { type: 'cookie', name: 'tenant', value: 'gray' },
];

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ routerPort: 0, traffic: false });
});
afterAll(async () => {
  agent.destroy();
  await sandbox?.stop();
});

/** Every test starts from a fresh sandbox's state: stable v1, no canary, no cohorts. */
beforeEach(() => {
  const store = sandbox.router.store;
  store.setWeights({ stable: 100, canary: 0 });
  store.setCohorts([]);
  store.setCanary(null);
  store.setStable('v1');
});

describe('demo versions', () => {
  it('serve the error rates and latencies of the version table, and count what clients saw', async () => {
    const n = 600;
    const [v1, v3, v4] = (await hitEach(
      [sandbox.demo.v1.url, sandbox.demo.v3.url, sandbox.demo.v4.url],
      n,
      45,
    )) as [Answer[], Answer[], Answer[]];
    for (const answers of [v1, v3, v4])
      expect(answers.every((a) => a.status === 200 || a.status === 500)).toBe(true);

    const [v1Low, v1High] = binomialRange(n, 0.01);
    const [v3Low, v3High] = binomialRange(n, 0.05);
    expect(errorsOf(v1)).toBeGreaterThanOrEqual(v1Low);
    expect(errorsOf(v1)).toBeLessThanOrEqual(v1High);
    expect(errorsOf(v3)).toBeGreaterThanOrEqual(v3Low);
    expect(errorsOf(v3)).toBeLessThanOrEqual(v3High);
    expect(errorsOf(v3)).toBeGreaterThan(errorsOf(v1));

    // 100 ms ± 20 ms uniform jitter: no answer comes sooner than the timer allows. Medians, not
    // means, because a stall of this shared machine delays a burst of answers at once; v4's extra
    // 50 ms is measured against v1 under the same load (the requests are interleaved).
    const v1Ms = v1.map((a) => a.ms);
    const v4Ms = v4.map((a) => a.ms);
    expect(Math.min(...v1Ms)).toBeGreaterThanOrEqual(79);
    expect(Math.min(...v4Ms)).toBeGreaterThanOrEqual(129);
    expect(median(v1Ms)).toBeGreaterThan(99);
    expect(median(v1Ms)).toBeLessThan(150);
    expect(median(v4Ms) - median(v1Ms)).toBeGreaterThan(40);
    expect(median(v4Ms) - median(v1Ms)).toBeLessThan(60);

    const metrics = await (await fetch(`${sandbox.demo.v3.url}/metrics`)).text();
    const labels = { namespace: 'sandbox', service: 'demo', version: 'v3' };
    expect(sample(metrics, 'http_requests_total', { ...labels, code: '500' })).toBe(errorsOf(v3));
    expect(sample(metrics, 'http_requests_total', { ...labels, code: '200' })).toBe(
      n - errorsOf(v3),
    );
    const count = sample(metrics, 'http_request_duration_seconds_count', {
      ...labels,
      code: '200',
    });
    const serverMeanMs =
      (1000 * sample(metrics, 'http_request_duration_seconds_sum', { ...labels, code: '200' })) /
      count;
    const clientMeanMs = mean(v3.filter((a) => a.status === 200).map((a) => a.ms));
    expect(serverMeanMs).toBeGreaterThan(99);
    expect(serverMeanMs).toBeLessThanOrEqual(clientMeanMs);
  });
});

describe('sandbox router', () => {
  it('splits traffic by weight: 30% to the canary over 1,000 requests', async () => {
    sandbox.router.store.setCanary('v2');
    sandbox.router.store.setWeights({ stable: 70, canary: 30 });
    const answers = await hit(sandbox.routerUrl, 1000);
    const canary = answers.filter((a) => a.headers.get('x-sandbox-arm') === 'canary');
    const [low, high] = binomialRange(1000, 0.3);
    expect(canary.length).toBeGreaterThanOrEqual(low);
    expect(canary.length).toBeLessThanOrEqual(high);
    for (const a of answers)
      expect(a.headers.get('x-demo-version')).toBe(a.headers.get('x-sandbox-version'));
    expect(new Set(canary.map((a) => a.headers.get('x-demo-version')))).toEqual(new Set(['v2']));
  });

  it('sends header, header-regex and cookie cohorts to the canary at weight 0, and nothing else', async () => {
    sandbox.router.store.setCanary('v3');
    sandbox.router.store.setCohorts(COHORTS);
    const arms = async (headers: Record<string, string>) =>
      new Set(
        (await hit(sandbox.routerUrl, 20, 10, headers)).map((a) => a.headers.get('x-sandbox-arm')),
      );
    expect(await arms({ 'x-canary': 'always' })).toEqual(new Set(['canary']));
    expect(await arms({ 'x-user': 'beta-7' })).toEqual(new Set(['canary']));
    expect(await arms({ cookie: 'session=abc; tenant=gray' })).toEqual(new Set(['canary']));
    expect(await arms({})).toEqual(new Set(['stable']));
    expect(
      await arms({ 'x-canary': 'sometimes', 'x-user': 'alpha-7', cookie: 'tenant=grayish' }),
    ).toEqual(new Set(['stable']));
  });

  it('validates weights (400 for 60/50), refuses a stale generation (409) and a canary share without a canary (409)', async () => {
    const put = (path: string, body: unknown) =>
      fetch(`${sandbox.routerUrl}/control${path}`, { method: 'PUT', body: JSON.stringify(body) });
    const invalid = await put('/weights', { stable: 60, canary: 50 });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({
      error: 'invalid-weights',
      message: 'invalid weights: weights 60/50 must sum to 100',
    });

    const noCanary = await put('/weights', { stable: 90, canary: 10 });
    expect(noCanary.status).toBe(409);
    expect(await noCanary.json()).toMatchObject({ error: 'no-canary' });

    const { generation } = (await (await fetch(`${sandbox.routerUrl}/control/state`)).json()) as {
      generation: number;
    };
    expect((await put('/canary', { version: 'v2', ifGeneration: generation })).status).toBe(200);
    const stale = await put('/weights', { stable: 90, canary: 10, ifGeneration: generation });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ error: 'generation-conflict' });
    expect(sandbox.router.store.state.weights).toEqual({ stable: 100, canary: 0 });
  });

  it('exposes its weights and forwarded requests as metrics', async () => {
    sandbox.router.store.setCanary('v4');
    sandbox.router.store.setWeights({ stable: 85, canary: 15 });
    await hit(sandbox.routerUrl, 10);
    const metrics = await (await fetch(`${sandbox.routerUrl}/control/metrics`)).text();
    expect(sample(metrics, 'sandbox_router_weight_percent', { arm: 'stable' })).toBe(85);
    expect(sample(metrics, 'sandbox_router_weight_percent', { arm: 'canary' })).toBe(15);
    expect(
      sample(metrics, 'sandbox_router_requests_total', {
        arm: 'stable',
        version: 'v1',
        reason: 'weight',
      }),
    ).toBeGreaterThan(0);
  });

  it('answers 502 with a JSON error when a demo version is down', async () => {
    const router = await startRouterServer({ port: 0, upstreams: { v1: 1 }, initialStable: 'v1' });
    try {
      const response = await fetch(router.url);
      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({
        error: 'bad-gateway',
        message: expect.stringContaining('demo v1 on port 1'),
      });
    } finally {
      await router.stop();
    }
  });
});

/** fetch that counts calls and can run another writer's change right before the next write. */
function instrumentedFetch() {
  const calls: string[] = [];
  let beforeWrite: (() => Promise<void>) | undefined;
  const wrapped: typeof fetch = async (input, init) => {
    const method = init?.method ?? 'GET';
    calls.push(`${method} ${String(input)}`);
    if (method !== 'GET' && beforeWrite) {
      const hook = beforeWrite;
      beforeWrite = undefined;
      await hook();
    }
    return fetch(input, init);
  };
  return {
    fetch: wrapped,
    calls,
    beforeNextWrite(hook: () => Promise<void>) {
      beforeWrite = hook;
    },
  };
}

/**
 * What only the sandbox router does, on the running sandbox. The TrafficRouter contract itself runs
 * against a sandbox router server in test/unit/sandbox-contracts.test.ts.
 */
describe('SandboxRouter', () => {
  /** A router over the running sandbox, with the canary version prepared as prepareCanary would. */
  function fresh() {
    sandbox.router.store.setCanary('v2');
    const probe = instrumentedFetch();
    return { router: new SandboxRouter(sandbox.routerUrl, { fetch: probe.fetch }), probe };
  }

  it('names its target after the control API', () => {
    expect(new SandboxRouter('http://127.0.0.1:8089/').target).toBe(
      'sandbox/router/http://127.0.0.1:8089',
    );
  });

  it("retries a write that lost to another writer exactly once, keeping the other writer's cohorts", async () => {
    const { router, probe } = fresh();
    await router.initialize([]);
    let interfered = 0;
    probe.beforeNextWrite(async () => {
      interfered += 1;
      sandbox.router.store.setCohorts(COHORTS);
    });
    expect(await router.setWeights({ stable: 80, canary: 20 })).toEqual({ stable: 80, canary: 20 });
    expect(interfered).toBe(1);
    // The first write carried a stale generation and was refused; the retry built on the other write.
    expect(probe.calls.filter((c) => c.startsWith('PUT')).length).toBe(2);
    expect(sandbox.router.store.state.cohorts).toEqual(COHORTS);
  });

  it('sends cohort requests to the stable version once finalized', async () => {
    const { router } = fresh();
    await router.initialize(COHORTS);
    await router.setWeights({ stable: 50, canary: 50 });
    expect(await router.finalize()).toEqual({ stable: 100, canary: 0 });
    const answers = await hit(sandbox.routerUrl, 20, 10, { 'x-canary': 'always' });
    expect(new Set(answers.map((a) => a.headers.get('x-sandbox-version')))).toEqual(
      new Set(['v1']),
    );
  });

  it('fails with a retryable SandboxUnreachableError naming the router when nothing listens', async () => {
    const closed = await startRouterServer({ port: 0, upstreams: { v1: 1 }, initialStable: 'v1' });
    await closed.stop();
    const url = closed.url;
    const router = new SandboxRouter(url, { timeoutMs: 1000 });
    for (const call of [
      () => router.getWeights(),
      () => router.setWeights({ stable: 90, canary: 10 }),
      () => router.finalize(),
    ]) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SandboxUnreachableError);
      expect((error as SandboxUnreachableError).nonRetryable).toBe(false);
      expect((error as Error).message).toContain(
        `sandbox/router/${url} is unreachable: connect ECONNREFUSED`,
      );
    }
  });

  it('fails with a non-retryable SandboxRequestError when the router refuses (a canary share without a canary)', async () => {
    sandbox.router.store.setCanary(null);
    const router = new SandboxRouter(sandbox.routerUrl);
    const error = await router.setWeights({ stable: 90, canary: 10 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SandboxRequestError);
    expect(error).toMatchObject({
      name: 'SandboxRequestError',
      nonRetryable: true,
      status: 409,
      code: 'no-canary',
    });
  });

  it('fails with a retryable RouteVerificationError when the read-back does not show the write', async () => {
    sandbox.router.store.setCanary('v2');
    let writes = 0;
    const lying: typeof fetch = async (input, init) => {
      if ((init?.method ?? 'GET') !== 'GET') writes += 1;
      const response = await fetch(input, init);
      if (writes === 0 || (init?.method ?? 'GET') !== 'GET') return response;
      const state = await response.json();
      return new Response(JSON.stringify({ ...state, weights: { stable: 100, canary: 0 } }), {
        status: 200,
      });
    };
    const error = await new SandboxRouter(sandbox.routerUrl, { fetch: lying })
      .setWeights({ stable: 75, canary: 25 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(RouteVerificationError);
    expect((error as RouteVerificationError).nonRetryable).toBe(false);
    expect((error as Error).message).toContain(
      'expected stable 75 / canary 25, read back stable 100 / canary 0',
    );
  });
});

describe('SandboxWorkloads', () => {
  const progress = () => {
    const reports: Record<string, unknown>[] = [];
    return { reports, report: (details: Record<string, unknown>) => void reports.push(details) };
  };
  const workloads = (canaryVersion: string, stableVersion = 'v1') =>
    new SandboxWorkloads(sandbox.routerUrl, { stableVersion, canaryVersion });

  it('runs a promoted release: canary prepared, stable promoted to its version, canary removed after finalize', async () => {
    const w = workloads('v2');
    const router = new SandboxRouter(sandbox.routerUrl);
    const p = progress();
    await w.prepareCanary(p.report);
    await w.prepareCanary(p.report);
    expect(sandbox.router.store.state).toMatchObject({ stableVersion: 'v1', canaryVersion: 'v2' });
    await router.initialize([]);
    await w.scaleForWeight(50, p.report);
    await router.setWeights({ stable: 50, canary: 50 });
    expect(await w.snapshotStable()).toEqual({ stableVersion: 'v1' });

    await w.promoteStable(p.report);
    await w.promoteStable(p.report);
    expect(sandbox.router.store.state.stableVersion).toBe('v2');
    const answers = await hit(sandbox.routerUrl, 40, 20);
    expect(new Set(answers.map((a) => a.headers.get('x-demo-version')))).toEqual(new Set(['v2']));

    await router.finalize();
    await w.scaleDownCanary(p.report);
    await w.scaleDownCanary(p.report);
    expect(sandbox.router.store.state).toMatchObject({
      stableVersion: 'v2',
      canaryVersion: null,
      weights: { stable: 100, canary: 0 },
      cohorts: [],
    });
    expect(p.reports.length).toBeGreaterThanOrEqual(7);
    expect(p.reports.some((r) => String(r.sandbox).includes('nothing to scale'))).toBe(true);
  });

  it('refuses to remove a canary that still receives traffic, without retries', async () => {
    const w = workloads('v3');
    await w.prepareCanary(() => undefined);
    await new SandboxRouter(sandbox.routerUrl).setWeights({ stable: 80, canary: 20 });
    const error = await w
      .scaleDownCanary(() => undefined)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(SandboxWorkloadError);
    expect(error).toMatchObject({ nonRetryable: true });
    expect((error as Error).message).toContain(
      'refusing to remove canary v3 while it receives 20% of traffic',
    );
    expect(sandbox.router.store.state.canaryVersion).toBe('v3');
  });

  it("sets the stable back to the release's stable version when no release is in progress", async () => {
    sandbox.router.store.setStable('v2');
    const p = progress();
    await workloads('v3').prepareCanary(p.report);
    expect(sandbox.router.store.state).toMatchObject({ stableVersion: 'v1', canaryVersion: 'v3' });
    expect(p.reports[0]).toEqual({
      sandbox: "switching the stable arm from v2 to the release's stable version v1",
    });
  });

  it("refuses to prepare while another release's canary receives traffic", async () => {
    await workloads('v3').prepareCanary(() => undefined);
    await new SandboxRouter(sandbox.routerUrl).setWeights({ stable: 90, canary: 10 });
    const error = await workloads('v4')
      .prepareCanary(() => undefined)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(SandboxWorkloadError);
    expect(error).toMatchObject({ nonRetryable: true });
    expect((error as Error).message).toContain('another release is in progress: canary v3');
  });

  it('refuses to promote a canary that was never prepared', async () => {
    const error = await workloads('v4')
      .promoteStable(() => undefined)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(SandboxWorkloadError);
    expect(error).toMatchObject({ nonRetryable: true });
    expect(sandbox.router.store.state.stableVersion).toBe('v1');
  });

  it('restores the stable version from a snapshot, and rejects a snapshot that is not one', async () => {
    const w = workloads('v2');
    await w.prepareCanary(() => undefined);
    const snapshot = await w.snapshotStable();
    await w.promoteStable(() => undefined);
    expect(sandbox.router.store.state.stableVersion).toBe('v2');
    await w.restoreStable(JSON.parse(JSON.stringify(snapshot)), () => undefined);
    expect(sandbox.router.store.state.stableVersion).toBe('v1');
    const error = await w
      .restoreStable({ template: {} }, () => undefined)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ name: 'SandboxWorkloadError', nonRetryable: true });
  });
});

describe('sandboxProviders', () => {
  const spec = (router: unknown): ReleaseSpec => {
    const result = validateReleaseSpec({
      service: 'demo',
      namespace: 'sandbox',
      stableVersion: 'v1',
      canaryVersion: 'v2',
      router,
    });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    return withStableVersion(result.spec);
  };

  it("builds the router and workloads of a sandbox release on the stack's control API URL", async () => {
    const release = spec({ type: 'sandbox' });
    const providers = sandboxProviders({ defaultUrl: sandbox.routerUrl });
    const router = providers.router({ type: 'sandbox' }, release);
    const workloads = providers.workloads({ type: 'sandbox' }, release);
    expect(router.target).toBe(`sandbox/router/${sandbox.routerUrl}`);
    await workloads.prepareCanary(() => undefined);
    await router.initialize([]);
    expect(await router.setWeights({ stable: 75, canary: 25 })).toEqual({ stable: 75, canary: 25 });
    expect(sandbox.router.store.state).toMatchObject({
      canaryVersion: 'v2',
      weights: { stable: 75, canary: 25 },
    });
  });

  it('refuses the workloads of a release whose router is not the sandbox, without retries', () => {
    // validation refuses this combination at submission (core/providers.ts); the providers refuse it too
    const istio = {
      ...spec({
        type: 'istio',
        virtualService: 'demo',
        destinations: { kind: 'subsets', host: 'demo' },
      }),
      workloads: { type: 'sandbox' as const },
    };
    expect(() => sandboxProviders().workloads({ type: 'sandbox' }, istio)).toThrow(
      expect.objectContaining({
        nonRetryable: true,
        message: expect.stringContaining('need router type "sandbox", not "istio"'),
      }),
    );
  });
});

describe('traffic generator', () => {
  it('sends at the configured rate through the router and stops on stop()', async () => {
    const traffic = startTraffic({ url: sandbox.routerUrl, ratePerSecond: 40 });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await traffic.stop();
    const stats = traffic.stats();
    expect(stats.sent).toBeGreaterThanOrEqual(60);
    expect(stats.sent).toBeLessThanOrEqual(90);
    expect(stats).toMatchObject({ failed: 0, skipped: 0, inFlight: 0, running: false });
    expect((stats.byStatus[200] ?? 0) + (stats.byStatus[500] ?? 0)).toBe(stats.sent);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(traffic.stats().sent).toBe(stats.sent);
  });

  it('stops by itself after its maximum duration and refuses addresses off the loopback interface', async () => {
    const traffic = startTraffic({ url: sandbox.routerUrl, ratePerSecond: 20, maxDurationMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(traffic.stats().running).toBe(false);
    expect(() => startTraffic({ url: 'http://example.com' })).toThrow(
      /only to http:\/\/ URLs on the loopback interface/,
    );
  });
});
