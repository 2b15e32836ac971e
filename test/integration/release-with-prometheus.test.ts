/**
 * Acceptance: whole releases on the real Temporal dev server, judged on metrics from a real
 * Prometheus that scrapes the test exporter. Only the router and the workloads are in-memory
 * fakes (routing has its own tests); traffic is generated in the test and split between the arms
 * by the weight the workflow set, like a real router would.
 *
 * Two releases run side by side with the same traffic and latency: one canary fails 5% of its
 * requests against the baseline's 1% and must be rolled back on the error rate; the other fails
 * 1% like its baseline and must be promoted.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsProvider } from '../../activities/metrics/factory.js';
import { createActivities } from '../../activities/release-activities.js';
import type { TrafficRouter } from '../../activities/routers/types.js';
import type { WorkloadManager } from '../../activities/workloads/types.js';
import { startRelease } from '../../client/releases.js';
import { validateReleaseSpec, type ReleaseSpec } from '../../core/spec.js';
import { withStableVersion } from '../harness/release-spec.js';
import type { Weights } from '../../core/types.js';
import { statusQuery, type ReleaseStatus } from '../../workflows/messages.js';
import type { canaryRelease } from '../../workflows/release.js';
import { releaseWorkloads, startExporter, type TestExporter } from '../harness/exporter.js';
import { startPrometheus, type PrometheusHarness } from '../harness/prometheus.js';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal.js';
import { startWorker } from '../harness/workflow-worker.js';

// 200 requests/s: four 4 s buckets at 50% give each arm ~1,600 requests, so a 5× error rate
// fails with p around 1e-10 against a level near 1e-3
const REQUESTS_PER_SECOND = 200;
const TICK_MS = 100;
const BASELINE_ERROR_RATE = 0.01;

/** A router that only remembers its weights: what the traffic generator splits by. */
class InMemoryRouter implements TrafficRouter {
  weights: Weights = { stable: 100, canary: 0 };
  readonly history: number[] = [];
  constructor(readonly target: string) {}
  async initialize(): Promise<void> {}
  async getWeights(): Promise<Weights> {
    return this.weights;
  }
  async setWeights(weights: Weights): Promise<Weights> {
    this.weights = weights;
    this.history.push(weights.canary);
    return weights;
  }
  async finalize(): Promise<Weights> {
    return this.setWeights({ stable: 100, canary: 0 });
  }
}

/** Workloads that record which version the stable arm runs. */
class InMemoryWorkloads implements WorkloadManager {
  constructor(
    public stableVersion: string,
    private readonly canaryVersion: string,
  ) {}
  async prepareCanary(): Promise<void> {}
  async scaleForWeight(): Promise<void> {}
  async promoteStable(): Promise<void> {
    this.stableVersion = this.canaryVersion;
  }
  async scaleDownCanary(): Promise<void> {}
  async snapshotStable(): Promise<unknown> {
    return { version: this.stableVersion };
  }
  async restoreStable(snapshot: unknown): Promise<void> {
    this.stableVersion = (snapshot as { version: string }).version;
  }
}

/** Small seeded PRNG (mulberry32) for the latency noise. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Sends REQUESTS_PER_SECOND requests to a release's service, split by the router's weights; an
 * arm's requests fail at exactly its error rate (errors are paced like the requests) and take
 * 20 ± 4 ms (the same for both arms). What the judge does with chance is measured by bench/judge.ts;
 * here a release must be decided the same way on every run, so neither chance nor a busy machine
 * may change the evidence (CI once saw the 5× canary promoted when errors were random at 100
 * requests/s). The volume follows the clock, not the ticks: on a busy machine timers fire late,
 * and traffic thinned by late ticks would leave the judge less evidence than the test claims.
 */
function generateTraffic(
  exporter: TestExporter,
  spec: ReleaseSpec,
  router: InMemoryRouter,
  canaryErrorRate: number,
  seed: number,
): () => void {
  const arms = releaseWorkloads(spec);
  const next = random(seed);
  let canaryShare = 0;
  let due = 0;
  const errorsDue = { baseline: 0, canary: 0 };
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    due += (REQUESTS_PER_SECOND * (now - last)) / 1000;
    last = now;
    const total = Math.floor(due);
    due -= total;
    canaryShare += (total * router.weights.canary) / 100;
    const canary = Math.floor(canaryShare);
    canaryShare -= canary;
    for (const [arm, requests, errorRate] of [
      ['baseline', total - canary, BASELINE_ERROR_RATE],
      ['canary', canary, canaryErrorRate],
    ] as const) {
      if (requests === 0) continue;
      errorsDue[arm] += requests * errorRate;
      const errors = Math.floor(errorsDue[arm]);
      errorsDue[arm] -= errors;
      exporter.record(arms[arm], { requests, errors, latencyMs: 16 + 8 * next() });
    }
  }, TICK_MS);
  return () => clearInterval(timer);
}

let env: TestWorkflowEnvironment;
let exporter: TestExporter;
let prometheus: PrometheusHarness;
let worker: Worker;
let workerDone: Promise<void>;
const taskQueue = uniqueTaskQueue('release-prometheus');
const routers = new Map<string, InMemoryRouter>();
const workloads = new Map<string, InMemoryWorkloads>();

beforeAll(async () => {
  env = await connectTestEnv();
  exporter = await startExporter();
  prometheus = await startPrometheus({ scrapeTargets: [exporter.target], scrapeInterval: '1s' });
  const activities = createActivities({
    routerFor: (spec) => routers.get(spec.service) as InMemoryRouter,
    workloadsFor: (spec) => workloads.get(spec.service) as InMemoryWorkloads,
    metricsFor: (spec) => createMetricsProvider(spec.analysis.metrics),
    // Two scrapes after a window ends, its last bucket's samples are in Prometheus.
    scrapeLagMs: () => 2500,
  });
  worker = await startWorker(env, taskQueue, activities);
  workerDone = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerDone;
  await prometheus?.stop();
  await exporter?.stop();
  await env?.teardown();
});

/** Runs one release to its end with a canary failing `canaryErrorRate` of its requests. */
async function release(
  name: string,
  canaryErrorRate: number,
  seed: number,
): Promise<{ status: ReleaseStatus; router: InMemoryRouter; workloads: InMemoryWorkloads }> {
  const validated = validateReleaseSpec({
    service: `${name}-${process.pid}-${Date.now().toString(36)}`,
    namespace: 'shop',
    stableVersion: 'v1',
    canaryVersion: 'v2',
    router: { type: 'sandbox' },
    schedule: { steps: [{ weight: 50, observe: '20s' }] },
    analysis: { bucket: '4s', metrics: { address: prometheus.url, preset: 'istio' } },
  });
  if (!validated.ok) throw new Error(JSON.stringify(validated.problems));
  const spec = withStableVersion(validated.spec);
  const router = new InMemoryRouter(`shop/${spec.service}`);
  const managed = new InMemoryWorkloads(spec.stableVersion, spec.canaryVersion);
  routers.set(spec.service, router);
  workloads.set(spec.service, managed);
  const arms = releaseWorkloads(spec);
  exporter.prime(arms.baseline);
  exporter.prime(arms.canary);
  const stopTraffic = generateTraffic(exporter, spec, router, canaryErrorRate, seed);
  try {
    const started = await startRelease(env.client, spec, { taskQueue });
    const handle = env.client.workflow.getHandle<typeof canaryRelease>(started.workflowId);
    await handle.result().catch(() => undefined); // a rolled-back release still has its status
    const status = await handle.query(statusQuery);
    for (const record of status.decisions)
      console.log(
        `[${name}] look ${record.look}: ${record.decision.explanation} (missing buckets: ${record.missingBuckets})`,
      );
    return { status, router, workloads: managed };
  } finally {
    stopTraffic();
  }
}

describe('a release judged on a real Prometheus', () => {
  it.concurrent(
    'rolls back a canary whose error rate is 5× the baseline’s',
    async () => {
      const {
        status,
        router,
        workloads: managed,
      } = await release('faulty', 5 * BASELINE_ERROR_RATE, 1);
      expect(status.phase).toBe('RolledBack');
      const last = status.decisions.at(-1);
      expect(last?.decision).toMatchObject({ verdict: 'fail', decidedBy: 'metric:errorRate' });
      const errorRate = (
        last?.decision.metrics as {
          metric: string;
          canary: { mean: number };
          baseline: { mean: number };
        }[]
      ).find((m) => m.metric === 'errorRate');
      expect(errorRate?.canary.mean).toBeGreaterThan(2 * (errorRate?.baseline.mean ?? 1));
      expect(router.weights).toEqual({ stable: 100, canary: 0 });
      expect(router.history).toContain(50);
      expect(managed.stableVersion).toBe('v1');
    },
    150_000,
  );

  it.concurrent(
    'promotes an identical canary',
    async () => {
      const {
        status,
        router,
        workloads: managed,
      } = await release('healthy', BASELINE_ERROR_RATE, 2);
      expect(status.phase).toBe('Promoted');
      expect(status.decisions.at(-1)?.decision.verdict).toBe('pass');
      expect(status.decisions.every((d) => d.decision.verdict !== 'fail')).toBe(true);
      expect(router.weights).toEqual({ stable: 100, canary: 0 });
      expect(managed.stableVersion).toBe('v2');
    },
    150_000,
  );
});
