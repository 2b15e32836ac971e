/**
 * Chaos on a control plane of this file's own (startKubeForTests(): etcd, kube-apiserver,
 * kube-controller-manager, test kubelet), with the real workflow on the run's Temporal dev server
 * and the real activities (fake metrics only, test/fixtures/kube/release-stack.ts). A rollback
 * through an API server outage is tested in rollback-outage.test.ts (short retry timing) and
 * measured by `npm run bench:workflow` (default timing, the full 5 minutes; chaos-scenarios.ts).
 *
 * - the worker, a real worker process, is SIGKILLed while its setCanaryWeight waits for a slow
 *   canary scale-up: a second worker on the same task queue takes the activity over after the
 *   heartbeat timeout and writes the weight, well within 30 s.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKubeClients, type KubeClients } from '../../activities/kube/kube-clients.js';
import { startKubeForTests, type KubeHarness } from '../harness/kube.js';
import { connectTestEnv } from '../harness/temporal.js';
import { PodLabelMetrics } from '../fixtures/kube/release-stack.js';
import type { StackContext } from '../fixtures/kube/release-scenarios.js';
import { killWorkerDuringWeightWrite } from '../fixtures/kube/chaos-scenarios.js';

const available = inject('kubeconfig') !== null;

describe.skipIf(!available)('releases through control-plane and worker failures', () => {
  let harness: KubeHarness;
  let env: TestWorkflowEnvironment;
  let ctx: StackContext;

  beforeAll(async () => {
    const started = await startKubeForTests();
    if (!started) throw new Error('the shared API server runs, so this one should start too');
    harness = started;
    const kube: KubeClients = createKubeClients({
      kubeconfigPath: harness.kubeconfigPath,
      env: {},
    });
    env = await connectTestEnv();
    ctx = { env, kube, metrics: new PodLabelMetrics(kube) };
  });
  afterAll(async () => {
    await env?.teardown();
    await harness?.stop();
  });

  it('continues a release on another worker within 30 s after its worker is SIGKILLed during a weight write', async () => {
    const run = await killWorkerDuringWeightWrite(
      ctx,
      inject('temporalAddress'),
      harness.kubeconfigPath,
    );
    console.log(
      `worker killed during ${run.inProgress}: the other worker resumed it after ${(run.resumedMs / 1000).toFixed(1)} s, wrote the weight after ${(run.weightMs / 1000).toFixed(1)} s`,
    );
    expect(run.resumedMs).toBeLessThan(30_000);
    expect(run.weightMs).toBeLessThan(30_000);
    expect(run.status.phase, run.status.outcome ?? '').toBe('RolledBack');
  }, 240_000);
});
