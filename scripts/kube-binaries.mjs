#!/usr/bin/env node
// Finds or provisions the two binaries the Kubernetes integration tests run: etcd and
// kube-apiserver (no controller-manager, no kubelet: tests play the controllers themselves).
//
// Order, for each binary: $ETCD_PATH / $KUBE_APISERVER_PATH, then PATH, then the cache directory
// (<cache>/kube/<k8s version>/, outside the repository and shared by every clone), else:
//   - etcd: Debian's `etcd-server` package (apt-get as root or through `sudo -n`), or, when that is
//     not possible or fails, built with Go from the module proxy (go.etcd.io/etcd/server/v3
//     v3.5.x in a small wrapper module);
//   - kube-apiserver: built with Go from the module proxy. k8s.io/kubernetes cannot be built with
//     a plain `go install` (its go.mod points the k8s.io/* staging modules at ./staging/src), so a
//     wrapper module requires k8s.io/kubernetes and replaces every staging module by its published
//     v0.X.Y release, then `go build`s k8s.io/kubernetes/cmd/kube-apiserver.
// Node builtins only: this runs before any TypeScript tooling (CI, `npm test`).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildKubeApiserver, provisionEtcd } from './lib/kube-build.mjs';
import {
  HOW_TO_INSTALL,
  candidateVersions,
  formatElapsed,
  kubeCacheDir,
  log,
} from './lib/kube-shared.mjs';
import { cacheDir } from './lib/paths.mjs';
import { isExecutable, onPath } from './lib/proc.mjs';

// The versions, the cache layout and the build steps live in scripts/lib/kube-shared.mjs and
// scripts/lib/kube-build.mjs; these re-exports keep this script the one entry point.
export { ETCD_GO_VERSION, KUBE_VERSIONS, kubeCacheDir } from './lib/kube-shared.mjs';
export { provisionEtcd, stagingModules, wrapperGoMod } from './lib/kube-build.mjs';

function fromEnv(variable) {
  const file = process.env[variable];
  if (!file) return undefined;
  if (isExecutable(file)) return file;
  throw new Error(
    `${variable} is set to ${file}, which is not an executable file.\n${HOW_TO_INSTALL}`,
  );
}

function findCached(name) {
  for (const version of candidateVersions()) {
    const file = join(kubeCacheDir(version), name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

/**
 * Locates etcd and kube-apiserver without provisioning anything (env, PATH, cache). Returns
 * undefined for a binary that is not there; tests use this so they never start a long build.
 */
export function findKubeBinaries() {
  return {
    etcd: fromEnv('ETCD_PATH') ?? onPath('etcd') ?? findCached('etcd'),
    kubeApiserver:
      fromEnv('KUBE_APISERVER_PATH') ?? onPath('kube-apiserver') ?? findCached('kube-apiserver'),
  };
}

/** Paths of usable etcd and kube-apiserver binaries, provisioning what is missing. Throws with install advice. */
export async function ensureKubeBinaries() {
  const found = findKubeBinaries();
  if (found.etcd && found.kubeApiserver)
    return { etcd: found.etcd, kubeApiserver: found.kubeApiserver };
  return withLock(async () => {
    const again = findKubeBinaries();
    const etcd = again.etcd ?? (await provisionEtcd());
    const kubeApiserver = again.kubeApiserver ?? (await buildKubeApiserver());
    return { etcd, kubeApiserver };
  });
}

/** Serialises provisioning between processes (CI steps, parallel test workers) with an atomic mkdir. */
async function withLock(fn) {
  const base = join(cacheDir(), 'kube');
  mkdirSync(base, { recursive: true });
  const lock = join(base, '.provision.lock');
  for (let announced = false; ;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        // The holder has created the directory but not yet written its pid.
      }
      if (Number.isInteger(holder) && !isAlive(holder)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!announced) log(`waiting for process ${holder} that is provisioning into ${base}`);
      announced = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  try {
    const { etcd, kubeApiserver } = await ensureKubeBinaries();
    log(`ready after ${formatElapsed(Date.now() - started)}`);
    console.log(`etcd=${etcd}`);
    console.log(`kube-apiserver=${kubeApiserver}`);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
