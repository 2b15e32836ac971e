/**
 * A real Kubernetes API server for tests: etcd plus kube-apiserver on free loopback ports, with a
 * temp data dir, a static admin token (group system:masters, authorization RBAC so the RBAC
 * manifest can be tested too), self-signed serving certs (kube-apiserver's --cert-dir) and a
 * service-account key pair made here. The CRDs in test/fixtures/crds are installed and Established
 * before it is handed out. No controller-manager runs: tests that need a Deployment's rollout to
 * finish write its status themselves.
 *
 * Binaries come from scripts/kube-binaries.mjs (env, PATH, cache); this never builds them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { findKubeBinaries } from '../../scripts/kube-binaries.mjs';
import { freePort } from '../../scripts/lib/proc.mjs';

const CRD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'crds');
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
  stop(): Promise<void>;
}

/** Where the harness wrote the kubeconfig of a pre-issued user: next to the admin's (tests only get the admin's path). */
export function userKubeconfigPath(
  adminKubeconfigPath: string,
  user: keyof typeof PREISSUED_USERS,
): string {
  return join(dirname(adminKubeconfigPath), `kubeconfig-${user.replace(/[^a-z0-9-]/gi, '_')}.yaml`);
}

interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
}

/** Starts etcd and kube-apiserver when their binaries are provisioned; null (with a warning) otherwise. */
export async function startKubeForTests(): Promise<KubeHarness | null> {
  const found = findKubeBinaries();
  if (!found.etcd || !found.kubeApiserver) {
    const missing = [
      !found.etcd && 'etcd (ETCD_PATH)',
      !found.kubeApiserver && 'kube-apiserver (KUBE_APISERVER_PATH)',
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
  const stop = async () => {
    for (const proc of procs.reverse()) await stopProcess(proc.child);
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
    const apiserver = launch(
      'kube-apiserver',
      found.kubeApiserver,
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
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
      ],
      dir,
    );
    procs.push(apiserver);
    const server = `https://127.0.0.1:${port}`;
    await waitFor(apiserver, () => httpsOk(`${server}/readyz`, adminToken), READY_TIMEOUT_MS);

    const ca = servingCa(certDir);
    const kubeconfigPath = join(dir, 'kubeconfig.yaml');
    writeFileSync(kubeconfigPath, kubeconfigYaml(server, ca, 'admin', adminToken));
    for (const [user, token] of userTokens)
      writeFileSync(
        userKubeconfigPath(kubeconfigPath, user),
        kubeconfigYaml(server, ca, user, token),
      );
    await installCrds(kubeconfigPath);
    console.log(
      `[harness] kube-apiserver on ${server} with CRDs ready in ${Date.now() - started} ms (binaries: ${found.kubeApiserver}, ${found.etcd})`,
    );
    return {
      kubeconfigPath,
      server,
      adminToken,
      kubeconfigFor: (user) => userKubeconfigPath(kubeconfigPath, user),
      stop,
    };
  } catch (error) {
    const logs = procs.map((p) => `--- ${p.name} (${p.log}) ---\n${tail(p.log)}`).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
  }
}

function launch(name: string, binary: string, args: string[], dir: string): Proc {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(binary, args, { cwd: dir, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  return { name, child, log };
}

async function waitFor(
  proc: Proc,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(
        `${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}) while starting`,
      );
    }
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${proc.name} was not ready within ${timeoutMs / 1000} s`);
}

async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/** GET over TLS without verifying the (not yet known) self-signed certificate: readiness only. */
function httpsOk(url: string, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` }, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** kube-apiserver's generated serving cert file holds the cert and then its self-signed CA. */
function servingCa(certDir: string): string {
  const crt = readdirSync(certDir).find((f) => f.endsWith('.crt') && !f.includes('loopback'));
  if (!crt) throw new Error(`kube-apiserver wrote no serving certificate into ${certDir}`);
  const blocks =
    readFileSync(join(certDir, crt), 'utf8').match(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
    ) ?? [];
  const ca = blocks[blocks.length - 1];
  if (!ca) throw new Error(`no certificate in ${join(certDir, crt)}`);
  return `${ca}\n`;
}

function kubeconfigYaml(server: string, ca: string, user: string, token: string): string {
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'test',
          cluster: { server, 'certificate-authority-data': Buffer.from(ca).toString('base64') },
        },
      ],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user, namespace: 'default' } }],
      'current-context': 'test',
    },
    null,
    2,
  );
}

/**
 * Creates the CRDs through the dynamic client: the typed ApiextensionsV1Api would re-serialize the
 * schemas and drop keys it does not know by their JSON names (x-kubernetes-preserve-unknown-fields).
 */
async function installCrds(kubeconfigPath: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const api = kc.makeApiClient(CustomObjectsApi);
  const crds: CustomResourceDefinition[] = [];
  for (const file of readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(CRD_DIR, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      const crd = doc.toJS() as CustomResourceDefinition | null;
      if (crd) crds.push(crd);
    }
  }
  const at = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };
  await Promise.all(crds.map((body) => api.createClusterCustomObject({ ...at, body })));
  const deadline = Date.now() + 30_000;
  for (const crd of crds) {
    for (;;) {
      const current = (await api.getClusterCustomObject({
        ...at,
        name: crd.metadata.name,
      })) as CustomResourceDefinition;
      if (current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
        break;
      if (Date.now() > deadline)
        throw new Error(`CRD ${crd.metadata.name} was not Established within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

interface CustomResourceDefinition {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string }[] };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
