/**
 * The Kubernetes test harness (test/harness/kube.ts), timed:
 *
 *   npx tsx bench/kube-harness.ts [--runs 3]
 *
 * For each run: the start of the API server alone (etcd, kube-apiserver, CRDs: the harness before
 * the controller-manager) and of the whole harness (plus kube-controller-manager and the test
 * kubelet); then, on the whole harness, a Deployment created with 1 replica until it is available,
 * scaled 1 → 3 until all 3 are available, and the same scale after the API server was stopped for
 * 5 s and started again (the controllers and the kubelet must reconnect by themselves). Prints the
 * median and the worst of each, in milliseconds.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { createKubeClients, type KubeClients } from '../activities/kube/kube-clients.js';
import { startKubeForTests } from '../test/harness/kube.js';
import { parseFlags, printTable, runCli, wholeNumber } from './lib/cli.js';

const TIMEOUT_MS = 60_000;

function web(replicas: number): V1Deployment {
  const labels = { app: 'web' };
  return {
    metadata: { name: 'web' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: 'registry.example.com/web:1' }] },
      },
    },
  };
}

/** Polls every 20 ms until the Deployment's current generation has `replicas` available; returns the elapsed ms. */
async function available(kube: KubeClients, namespace: string, replicas: number, since: number) {
  for (;;) {
    const d = await kube.apps.readNamespacedDeployment({ name: 'web', namespace });
    const s = d.status ?? {};
    if (
      (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
      s.availableReplicas === replicas &&
      s.updatedReplicas === replicas &&
      s.replicas === replicas
    )
      return Date.now() - since;
    if (Date.now() - since > TIMEOUT_MS)
      throw new Error(`web not ${replicas}/${replicas} available within ${TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function scale(kube: KubeClients, namespace: string, replicas: number): Promise<number> {
  const since = Date.now();
  await kube.apps.replaceNamespacedDeploymentScale({
    name: 'web',
    namespace,
    body: { metadata: { name: 'web', namespace }, spec: { replicas } },
  });
  return available(kube, namespace, replicas, since);
}

async function timedStart(options: Parameters<typeof startKubeForTests>[0]) {
  const since = Date.now();
  const harness = await startKubeForTests(options);
  if (!harness) throw new Error('the Kubernetes binaries are not provisioned');
  return { harness, ms: Date.now() - since };
}

async function run(): Promise<Record<string, number>> {
  const bare = await timedStart({ controllerManager: false, kubelet: false });
  await bare.harness.stop();
  const { harness, ms } = await timedStart({});
  try {
    const kube = createKubeClients({ kubeconfigPath: harness.kubeconfigPath, env: {} });
    const namespace = 'bench';
    await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
    const since = Date.now();
    await kube.apps.createNamespacedDeployment({ namespace, body: web(1) });
    const create = await available(kube, namespace, 1, since);
    const up = await scale(kube, namespace, 3);
    await scale(kube, namespace, 1);
    await harness.restartApiserver(5000);
    const afterRestart = await scale(kube, namespace, 3);
    return {
      'start: apiserver + CRDs': bare.ms,
      'start: + controller-manager + kubelet': ms,
      'create 1 replica → available': create,
      'scale 1 → 3 → available': up,
      'scale 1 → 3 after a 5 s apiserver outage': afterRestart,
    };
  } finally {
    await harness.stop();
  }
}

const USAGE = 'usage: npx tsx bench/kube-harness.ts [--runs N]  (default 3)';

function parseArgs(argv: readonly string[]): { runs: number } | 'help' {
  let runs = 3;
  const parsed = parseFlags(argv, { '--runs': (v) => (runs = wholeNumber('--runs', v, 1)) });
  return parsed === 'help' ? 'help' : { runs };
}

async function main({ runs }: { runs: number }): Promise<void> {
  const results: Record<string, number>[] = [];
  for (let i = 0; i < runs; i += 1) results.push(await run());
  const rows = Object.keys(results[0] ?? {}).map((name) => {
    const values = results.map((r) => r[name] as number).sort((a, b) => a - b);
    return [name, String(values[Math.floor(values.length / 2)]), String(values.at(-1))];
  });
  printTable(['measure (ms)', 'median', 'worst'], rows);
}

runCli('bench/kube-harness.ts', USAGE, parseArgs, (options) => {
  main(options).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
