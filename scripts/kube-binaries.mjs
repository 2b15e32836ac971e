#!/usr/bin/env node
// Finds or provisions the binaries the Kubernetes integration tests run: etcd, kube-apiserver and
// kube-controller-manager (no scheduler, no kubelet: test/harness/kubelet.ts marks pods Running
// and Ready).
//
// Order, for each binary: $ETCD_PATH / $KUBE_APISERVER_PATH / $KUBE_CONTROLLER_MANAGER_PATH, then
// PATH, then the cache directory
// (<cache>/kube/<k8s version>/, outside the repository and shared by every clone), else:
//   - etcd: Debian's `etcd-server` package (apt-get as root or through `sudo -n`), or, when that is
//     not possible or fails, built with Go from the module proxy (go.etcd.io/etcd/server/v3
//     v3.5.x in a small wrapper module);
//   - kube-apiserver, kube-controller-manager: built with Go from the module proxy.
//     k8s.io/kubernetes cannot be built with a plain `go install` (its go.mod points the k8s.io/*
//     staging modules at ./staging/src), so a wrapper module requires k8s.io/kubernetes and
//     replaces every staging module by its published v0.X.Y release, then `go build`s
//     k8s.io/kubernetes/cmd/<command>.
// Node builtins only: this runs before any TypeScript tooling (CI, `npm test`).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildKubeCommand, provisionEtcd } from './lib/kube-build.mjs';
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
export { KUBE_COMMANDS, provisionEtcd, stagingModules, wrapperGoMod } from './lib/kube-build.mjs';

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

/** $<NAME_WITH_UNDERSCORES>_PATH, then PATH, then the cache. */
function find(name) {
  return (
    fromEnv(`${name.replace(/-/g, '_').toUpperCase()}_PATH`) ?? onPath(name) ?? findCached(name)
  );
}

/**
 * Locates etcd, kube-apiserver and kube-controller-manager without provisioning anything (env,
 * PATH, cache). Returns undefined for a binary that is not there; tests use this so they never
 * start a long build.
 */
export function findKubeBinaries() {
  return {
    etcd: find('etcd'),
    kubeApiserver: find('kube-apiserver'),
    kubeControllerManager: find('kube-controller-manager'),
  };
}

/** Paths of usable etcd, kube-apiserver and kube-controller-manager binaries, provisioning what is missing. Throws with install advice. */
export async function ensureKubeBinaries() {
  const found = findKubeBinaries();
  if (found.etcd && found.kubeApiserver && found.kubeControllerManager) return found;
  return withLock(async () => {
    const again = findKubeBinaries();
    const etcd = again.etcd ?? (await provisionEtcd());
    const kubeApiserver = again.kubeApiserver ?? (await buildKubeCommand('kube-apiserver'));
    const kubeControllerManager =
      again.kubeControllerManager ?? (await buildKubeCommand('kube-controller-manager'));
    return { etcd, kubeApiserver, kubeControllerManager };
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
    const { etcd, kubeApiserver, kubeControllerManager } = await ensureKubeBinaries();
    log(`ready after ${formatElapsed(Date.now() - started)}`);
    console.log(`etcd=${etcd}`);
    console.log(`kube-apiserver=${kubeApiserver}`);
    console.log(`kube-controller-manager=${kubeControllerManager}`);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
