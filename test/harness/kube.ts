/**
 * A real Kubernetes control plane for tests: etcd, kube-apiserver and kube-controller-manager on
 * free loopback ports, with a temp data dir, a static admin token (group system:masters,
 * authorization RBAC so the RBAC manifest can be tested too), self-signed serving certs
 * (kube-apiserver's --cert-dir) and a service-account key pair made here. The CRDs in
 * test/fixtures/crds are installed and Established before it is handed out.
 *
 * Deployments, ReplicaSets and Pods are made by Kubernetes itself: the controller-manager runs the
 * Deployment, ReplicaSet, garbage-collector, namespace and service-account controllers
 * (test/harness/kube-controller-manager.ts), and the test kubelet (test/harness/kubelet.ts) marks
 * pods Running and Ready, later or never when their template asks. No test writes Deployment
 * status.
 *
 * The API server can be stopped and started again (same port, etcd data, certificates and tokens)
 * to test outages; the controller-manager and the kubelet reconnect by themselves.
 *
 * Binaries come from scripts/kube-binaries.mjs (env, PATH, cache); this never builds them.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findKubeBinaries } from '../../scripts/kube-binaries.mjs';
import { freePort } from '../../scripts/lib/proc.mjs';
import { startControllerManager } from './kube-controller-manager.js';
import { installCrds, kubeconfigYaml, servingCa } from './kube-config.js';
import { startTestKubelet, type TestKubelet } from './kubelet.js';
import {
  exited,
  httpOk,
  httpsOk,
  launch,
  stopProcess,
  tail,
  waitFor,
  type Proc,
} from './processes.js';

const READY_TIMEOUT_MS = 90_000;

/**
 * Users with a static token besides the admin, and their groups. The token file is read when the
 * API server starts, so they are issued up front. The engine's service account (deploy/rbac.yaml)
 * is one, so tests can check the RBAC manifest grants what the engine needs.
 */
export const PREISSUED_USERS = {
  'system:serviceaccount:canary-system:canary-engine': [
    'system:serviceaccounts',
    'system:serviceaccounts:canary-system',
    'system:authenticated',
  ],
} as const satisfies Record<string, readonly string[]>;

export interface KubeHarness {
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Bearer token of the admin user (system:masters). */
  adminToken: string;
  /** A kubeconfig for one of PREISSUED_USERS (authenticated by a static token, authorized by RBAC only). */
  kubeconfigFor(user: keyof typeof PREISSUED_USERS): string;
  /** Stops kube-apiserver only: etcd keeps the data, the controller-manager and kubelet wait for it. */
  stopApiserver(): Promise<void>;
  /** Starts kube-apiserver again on the same port with the same data, certificates and tokens; resolves when it is ready. */
  startApiserver(): Promise<void>;
  /** stopApiserver(), `downMs` of outage, startApiserver(). */
  restartApiserver(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface KubeHarnessOptions {
  /** Run kube-controller-manager (default true). */
  controllerManager?: boolean;
  /** Run the test kubelet that marks pods Running and Ready (default true). */
  kubelet?: boolean;
}

/** Where the harness wrote the kubeconfig of a pre-issued user: next to the admin's (tests only get the admin's path). */
export function userKubeconfigPath(
  adminKubeconfigPath: string,
  user: keyof typeof PREISSUED_USERS,
): string {
  return join(dirname(adminKubeconfigPath), `kubeconfig-${user.replace(/[^a-z0-9-]/gi, '_')}.yaml`);
}

/**
 * Starts etcd, kube-apiserver, kube-controller-manager and the test kubelet when their binaries
 * are provisioned; null (with a warning) otherwise. Each call starts a separate control plane.
 */
export async function startKubeForTests(
  options: KubeHarnessOptions = {},
): Promise<KubeHarness | null> {
  const { controllerManager = true, kubelet: withKubelet = true } = options;
  const found = findKubeBinaries();
  if (!found.etcd || !found.kubeApiserver || (controllerManager && !found.kubeControllerManager)) {
    const missing = [
      !found.etcd && 'etcd (ETCD_PATH)',
      !found.kubeApiserver && 'kube-apiserver (KUBE_APISERVER_PATH)',
      controllerManager &&
        !found.kubeControllerManager &&
        'kube-controller-manager (KUBE_CONTROLLER_MANAGER_PATH)',
    ]
      .filter(Boolean)
      .join(' and ');
    console.warn(
      `[harness] no ${missing}: Kubernetes integration tests will be skipped. Run \`node scripts/kube-binaries.mjs\` to provision them.`,
    );
    return null;
  }
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'canary-test-kube-'));
  const procs: Proc[] = [];
  let apiserver: Proc | undefined;
  let kubelet: TestKubelet | undefined;
  const stop = async () => {
    await kubelet?.stop();
    for (const proc of [...procs].reverse()) await stopProcess(proc.child);
    if (apiserver) await stopProcess(apiserver.child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const etcdPort = await freePort();
    const peerPort = await freePort();
    const etcd = launch(
      'etcd',
      found.etcd,
      [
        '--name=test',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=test=http://127.0.0.1:${peerPort}`,
        '--log-level=error',
      ],
      dir,
    );
    procs.push(etcd);
    await waitFor(etcd, () => httpOk(`http://127.0.0.1:${etcdPort}/health`), 30_000);

    const adminToken = randomBytes(24).toString('hex');
    const tokensFile = join(dir, 'tokens.csv');
    const userTokens = new Map(
      (Object.keys(PREISSUED_USERS) as (keyof typeof PREISSUED_USERS)[]).map((user) => [
        user,
        randomBytes(24).toString('hex'),
      ]),
    );
    writeFileSync(
      tokensFile,
      [
        `${adminToken},admin,admin-uid,"system:masters"`,
        ...[...userTokens].map(
          ([user, token]) => `${token},${user},${user},"${PREISSUED_USERS[user].join(',')}"`,
        ),
      ].join('\n') + '\n',
    );
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const port = await freePort();
    const certDir = join(dir, 'certs');
    const server = `https://127.0.0.1:${port}`;
    const apiserverArgs = [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      // the certificates it generates on first start are reused on every restart
      `--cert-dir=${certDir}`,
      `--token-auth-file=${tokensFile}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--v=0',
    ];
    const startApiserver = async () => {
      if (apiserver && !exited(apiserver)) return;
      apiserver = launch('kube-apiserver', found.kubeApiserver as string, apiserverArgs, dir);
      await waitFor(apiserver, () => httpsOk(`${server}/readyz`, adminToken), READY_TIMEOUT_MS);
    };
    const stopApiserver = async () => {
      if (apiserver) await stopProcess(apiserver.child);
    };
    await startApiserver();

    const ca = servingCa(certDir);
    const kubeconfigPath = join(dir, 'kubeconfig.yaml');
    const adminKubeconfig = kubeconfigYaml(server, ca, 'admin', adminToken);
    writeFileSync(kubeconfigPath, adminKubeconfig);
    for (const [user, token] of userTokens)
      writeFileSync(
        userKubeconfigPath(kubeconfigPath, user),
        kubeconfigYaml(server, ca, user, token),
      );
    const apiserverReady = Date.now();
    const [controllers] = await Promise.all([
      controllerManager
        ? startControllerManager({
            binary: found.kubeControllerManager as string,
            kubeconfig: adminKubeconfig,
            dir,
          })
        : undefined,
      installCrds(kubeconfigPath),
    ]);
    if (controllers) procs.push(controllers);
    if (withKubelet) kubelet = await startTestKubelet(kubeconfigPath);
    console.log(
      `[harness] kube-apiserver on ${server} ready in ${apiserverReady - started} ms; ` +
        `${controllerManager ? 'kube-controller-manager, ' : ''}${withKubelet ? 'test kubelet, ' : ''}` +
        `CRDs ready after ${Date.now() - started} ms (binaries: ${found.kubeApiserver}, ${found.etcd}${controllerManager ? `, ${found.kubeControllerManager}` : ''})`,
    );
    return {
      kubeconfigPath,
      server,
      adminToken,
      kubeconfigFor: (user) => userKubeconfigPath(kubeconfigPath, user),
      stopApiserver,
      startApiserver,
      async restartApiserver(downMs = 0) {
        await stopApiserver();
        await new Promise((resolve) => setTimeout(resolve, downMs));
        await startApiserver();
      },
      stop,
    };
  } catch (error) {
    const logs = [...procs, ...(apiserver ? [apiserver] : [])]
      .map((p) => `--- ${p.name} (${p.log}) ---\n${tail(p.log)}`)
      .join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
  }
}
