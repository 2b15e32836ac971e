// What locating (scripts/kube-binaries.mjs) and building (kube-build.mjs) the Kubernetes test
// binaries share: the versions tried, the cache layout, the install advice and the log line.
// Node builtins only.
import { join } from 'node:path';
import { cacheDir } from './paths.mjs';

/** Kubernetes releases tried in order when building (the newest on the module proxy that Go 1.26 builds come first). */
export const KUBE_VERSIONS = ['v1.34.4', 'v1.35.4', 'v1.36.3'];
/** etcd release line built with Go when apt is unavailable (module query: newest v3.5.x). */
export const ETCD_GO_VERSION = 'v3.5';

/** Appended to every error about a binary that is missing and cannot be provisioned. */
export const HOW_TO_INSTALL = `Provide the binaries by hand (either works):
  - etcd: \`apt-get install etcd-server\` (Debian/Ubuntu), or download a release from
    https://github.com/etcd-io/etcd/releases; then put \`etcd\` on PATH or set ETCD_PATH.
  - kube-apiserver and kube-controller-manager: download them from
    https://dl.k8s.io/release/${KUBE_VERSIONS[0]}/bin/linux/amd64/<name>, or install Go >= 1.24 and run
    \`node scripts/kube-binaries.mjs\` (builds them from the Go module proxy); then put them on PATH
    or set KUBE_APISERVER_PATH and KUBE_CONTROLLER_MANAGER_PATH.
  The cache directory is ${join(cacheDir(), 'kube')} (override with CANARY_CACHE_DIR).`;

export const log = (msg) => console.error(`[kube-binaries] ${msg}`);

/** The cache directory for one Kubernetes version. */
export function kubeCacheDir(version = KUBE_VERSIONS[0]) {
  return join(cacheDir(), 'kube', version);
}

/** Versions to consider: $CANARY_KUBE_VERSION alone when set, else KUBE_VERSIONS. */
export function candidateVersions() {
  const pinned = process.env.CANARY_KUBE_VERSION;
  if (!pinned) return KUBE_VERSIONS;
  return [pinned.startsWith('v') ? pinned : `v${pinned}`];
}

/** Elapsed time for progress lines: builds take minutes on a small machine. */
export function formatElapsed(ms) {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}
