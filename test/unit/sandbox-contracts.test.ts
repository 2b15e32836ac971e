/**
 * The sandbox's providers run the same contracts as the Kubernetes ones: SandboxRouter the
 * TrafficRouter contract, SandboxWorkloads the WorkloadManager contract, each against a real
 * sandbox router server started in this process on a free loopback port (no demo versions are
 * needed: only the control API is used). Another writer is played through the server's state
 * store, and the router's calls are counted by wrapping its fetch.
 */
import {
  describeTrafficRouterContract,
  type WriteProbe,
} from '../contract/traffic-router.contract.js';
import { testSpec } from '../harness/release-spec.js';
import { describeWorkloadManagerContract } from '../contract/workload-manager.contract.js';
import { SandboxUnreachableError } from '../../sandbox/errors.js';
import { startRouterServer, type RouterServer } from '../../sandbox/router-server.js';
import { SandboxRouter } from '../../sandbox/sandbox-router.js';
import { SandboxWorkloads } from '../../sandbox/sandbox-workloads.js';
import type { Cohort } from '../../core/routing/config.js';

const COHORTS: Cohort[] = [
  { type: 'header', name: 'X-Canary', value: 'always' },
  { type: 'headerRegex', name: 'x-user', regex: 'beta-[0-9]+' },
  { type: 'cookie', name: 'tenant', value: 'gray' },
  { type: 'userBucket', header: 'x-user-id', idFormat: 'any', percent: 5 },
  { type: 'queryParam', name: 'ab_test', value: 'v2' },
];

/** A router server of its own for one test; the demo versions' ports are never dialled. */
const server = (): Promise<RouterServer> =>
  startRouterServer({ port: 0, upstreams: { v1: 1, v2: 1, v3: 1, v4: 1 }, initialStable: 'v1' });

/** A router server that has stopped: nothing answers at its URL. */
async function closedUrl(): Promise<string> {
  const closed = await server();
  await closed.stop();
  return closed.url;
}

/** fetch that records every call and runs hooks around the writes (any method but GET). */
function instrumentedFetch(): WriteProbe & { fetch: typeof fetch } {
  const calls: string[] = [];
  let before: (() => Promise<void>) | undefined;
  let beforeEach: (() => Promise<void>) | undefined;
  let after: (() => Promise<void>) | undefined;
  const isWrite = (call: string) => !call.startsWith('GET ');
  const wrapped: typeof fetch = async (input, init) => {
    const call = `${init?.method ?? 'GET'} ${String(input)}`;
    calls.push(call);
    if (isWrite(call) && before) {
      const hook = before;
      before = undefined;
      await hook();
    }
    if (isWrite(call) && beforeEach) await beforeEach();
    const response = await fetch(input, init);
    if (isWrite(call) && response.ok && after) {
      const hook = after;
      after = undefined;
      await hook();
    }
    return response;
  };
  return {
    fetch: wrapped,
    calls,
    writes: () => calls.filter(isWrite).length,
    beforeNextWrite: (hook) => (before = hook),
    beforeEachWrite: (hook) => (beforeEach = hook),
    afterNextWrite: (hook) => (after = hook),
  };
}

describeTrafficRouterContract({
  name: 'SandboxRouter',
  cohorts: COHORTS,
  available: true,
  release: testSpec({ service: 'demo', cohorts: COHORTS }),
  async fresh() {
    const sandbox = await server();
    const { store } = sandbox;
    store.setCanary('v2'); // as prepareCanary would
    const probe = instrumentedFetch();
    const router = new SandboxRouter(sandbox.url, { fetch: probe.fetch });
    let mark = 0;
    return {
      router,
      probe,
      weightedObject: router.target,
      // another writer switches the stable arm's version (a new one each time): routing stays as it was
      interfere: async () => void store.setStable(++mark % 2 === 1 ? 'v3' : 'v4'),
      interferenceKept: async () => store.state.stableVersion === (mark % 2 === 1 ? 'v3' : 'v4'),
      save: async () => {
        const { weights, cohorts } = store.state;
        return async () => {
          store.setWeights(weights);
          store.setCohorts(cohorts);
        };
      },
      unrelatedConfig: async () => ({
        stable: store.state.stableVersion,
        canary: store.state.canaryVersion,
      }),
      cohortRouting: async () => store.state.cohorts,
      leftovers: async () =>
        store.state.cohorts.map((c) => `${router.target} cohort ${JSON.stringify(c)}`),
      servedWeights: async () => store.state.weights,
      stop: () => sandbox.stop(),
    };
  },
  async missing() {
    const router = new SandboxRouter(await closedUrl(), { timeoutMs: 1000 });
    return { router, object: router.target, error: SandboxUnreachableError, nonRetryable: false };
  },
});

describeWorkloadManagerContract({
  name: 'SandboxWorkloads',
  available: true,
  release: testSpec({ service: 'demo', stableVersion: 'v1', canaryVersion: 'v2' }),
  async fresh() {
    const sandbox = await server();
    const { store } = sandbox;
    const manager = new SandboxWorkloads(sandbox.url, { stableVersion: 'v1', canaryVersion: 'v2' });
    return {
      manager,
      versions: { stable: 'v1', canary: 'v2' },
      stableRuns: async () => store.state.stableVersion,
      canary: async () => ({ up: store.state.canaryVersion === 'v2' }),
      stableObject: `sandbox/router/${sandbox.url}`,
      stop: () => sandbox.stop(),
    };
  },
  async missing() {
    const url = await closedUrl();
    return {
      manager: new SandboxWorkloads(
        url,
        { stableVersion: 'v1', canaryVersion: 'v2' },
        { timeoutMs: 1000 },
      ),
      objects: [`sandbox/router/${url}`],
      error: SandboxUnreachableError,
      nonRetryable: false,
    };
  },
});
