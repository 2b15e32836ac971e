/**
 * The real kube-controller-manager next to the test kube-apiserver, running only the controllers
 * the tests need: Deployments make ReplicaSets, ReplicaSets make Pods, deleting an owner deletes
 * what it owns, deleted namespaces are emptied, and every namespace gets its `default`
 * ServiceAccount (the ServiceAccount admission plugin refuses pods without it). There is no
 * scheduler and no kubelet: test/harness/kubelet.ts marks the pods Running and Ready.
 *
 * It talks to the API server as the admin (its own kubeconfig file, the admin token), without
 * leader election, and serves /healthz on a free loopback port. It survives the API server being
 * stopped and started again (its informers reconnect).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/proc.mjs';
import { httpsOk, launch, stopProcess, tail, waitFor, type Proc } from './processes.js';

const READY_TIMEOUT_MS = 60_000;

export const TEST_CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
] as const;

/** Starts kube-controller-manager against the API server of `kubeconfig` (its YAML text) and waits for its /healthz. */
export async function startControllerManager(options: {
  binary: string;
  kubeconfig: string;
  dir: string;
}): Promise<Proc> {
  const kubeconfigPath = join(options.dir, 'kubeconfig-controller-manager.yaml');
  writeFileSync(kubeconfigPath, options.kubeconfig);
  const port = await freePort();
  const proc = launch(
    'kube-controller-manager',
    options.binary,
    [
      `--kubeconfig=${kubeconfigPath}`,
      `--controllers=${TEST_CONTROLLERS.join(',')}`,
      '--leader-elect=false',
      '--use-service-account-credentials=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(options.dir, 'controller-manager-certs')}`,
      // tests create many objects at once; the defaults (20 qps, burst 30) would queue them
      '--kube-api-qps=200',
      '--kube-api-burst=400',
      '--profiling=false',
      '--v=1',
    ],
    options.dir,
  );
  try {
    await waitFor(proc, () => httpsOk(`https://127.0.0.1:${port}/healthz`), READY_TIMEOUT_MS);
  } catch (error) {
    await stopProcess(proc.child);
    throw new Error(`${(error as Error).message}\n--- ${proc.log} ---\n${tail(proc.log)}`, {
      cause: error,
    });
  }
  return proc;
}
