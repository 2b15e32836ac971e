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
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheDir } from './lib/paths.mjs';
import { aptInstall, isExecutable, onPath } from './lib/proc.mjs';

/** Kubernetes releases tried in order when building (the newest on the module proxy that Go 1.26 builds come first). */
export const KUBE_VERSIONS = ['v1.34.4', 'v1.35.4', 'v1.36.3'];
/** etcd release line built with Go when apt is unavailable (module query: newest v3.5.x). */
export const ETCD_GO_VERSION = 'v3.5';

const HOW_TO_INSTALL = `Provide the binaries by hand (either works):
  - etcd: \`apt-get install etcd-server\` (Debian/Ubuntu), or download a release from
    https://github.com/etcd-io/etcd/releases; then put \`etcd\` on PATH or set ETCD_PATH.
  - kube-apiserver: download it from https://dl.k8s.io/release/${KUBE_VERSIONS[0]}/bin/linux/amd64/kube-apiserver,
    or install Go >= 1.24 and run \`node scripts/kube-binaries.mjs\` (builds it from the Go module proxy);
    then put \`kube-apiserver\` on PATH or set KUBE_APISERVER_PATH.
  The cache directory is ${join(cacheDir(), 'kube')} (override with CANARY_CACHE_DIR).`;

const log = (msg) => console.error(`[kube-binaries] ${msg}`);

/** The cache directory for one Kubernetes version. */
export function kubeCacheDir(version = KUBE_VERSIONS[0]) {
  return join(cacheDir(), 'kube', version);
}

/** Versions to consider: $CANARY_KUBE_VERSION alone when set, else KUBE_VERSIONS. */
function candidateVersions() {
  const pinned = process.env.CANARY_KUBE_VERSION;
  if (!pinned) return KUBE_VERSIONS;
  return [pinned.startsWith('v') ? pinned : `v${pinned}`];
}

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

// ---------------------------------------------------------------------------------------------
// Processes

function formatElapsed(ms) {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

/** Runs a command, streaming its output, with a progress line every minute. Rejects with the command line. */
function run(cmd, args, { cwd, env, quiet = false } = {}) {
  const started = Date.now();
  const line = `${cmd} ${args.join(' ')}`;
  log(`$ ${cwd ? `(cd ${cwd} && ` : ''}${line}${cwd ? ')' : ''}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env,
      stdio: ['ignore', quiet ? 'pipe' : 'inherit', 'inherit'],
    });
    let stdout = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    const ticker = setInterval(
      () => log(`  ... still running (${formatElapsed(Date.now() - started)})`),
      60_000,
    );
    child.on('error', (error) => {
      clearInterval(ticker);
      reject(new Error(`${line}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearInterval(ticker);
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(
            `${line} exited with ${code ?? signal} after ${formatElapsed(Date.now() - started)}`,
          ),
        );
    });
  });
}

function goEnv(extra = {}) {
  return {
    ...process.env,
    CGO_ENABLED: process.env.CGO_ENABLED ?? '0',
    GOFLAGS: '-buildvcs=false',
    GOWORK: 'off',
    GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local',
    ...extra,
  };
}

function requireGo(what) {
  const go = onPath('go');
  if (!go)
    throw new Error(
      `${what} is missing and Go is not installed, so it cannot be built.\n${HOW_TO_INSTALL}`,
    );
  return go;
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

// ---------------------------------------------------------------------------------------------
// etcd

/** etcd from Debian's etcd-server package when apt-get can install it, else built with Go. */
export async function provisionEtcd() {
  if (process.env.CANARY_ETCD_SOURCE !== 'go') {
    const started = Date.now();
    if (aptInstall(['etcd-server'], { log })) {
      const etcd = onPath('etcd') ?? (isExecutable('/usr/bin/etcd') ? '/usr/bin/etcd' : undefined);
      if (etcd) {
        log(`etcd installed at ${etcd} in ${formatElapsed(Date.now() - started)}`);
        return etcd;
      }
      log(
        'apt-get installed etcd-server but no `etcd` binary was found; building etcd with Go instead',
      );
    } else {
      log(
        'etcd could not be installed with apt-get (no apt-get, no root or sudo -n, or the install failed); building it with Go',
      );
    }
  }
  return buildEtcdWithGo();
}

/**
 * `go install go.etcd.io/etcd/server/v3@...` is refused (its go.mod has replace directives for
 * its sibling modules), so etcd is built from a wrapper module too.
 */
async function buildEtcdWithGo() {
  const go = requireGo('etcd');
  const dir = kubeCacheDir(candidateVersions()[0]);
  const src = join(dir, 'etcd-src');
  const target = join(dir, 'etcd');
  const started = Date.now();
  log(`building etcd ${ETCD_GO_VERSION}.x with Go into ${target}`);
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'go.mod'), 'module canary-engine.local/etcd-build\n\ngo 1.23\n');
  writeFileSync(
    join(src, 'tools.go'),
    '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n',
  );
  await run(go, ['get', `go.etcd.io/etcd/server/v3@${ETCD_GO_VERSION}`], {
    cwd: src,
    env: goEnv(),
  });
  await run(go, ['mod', 'tidy'], { cwd: src, env: goEnv() });
  await run(
    go,
    ['build', '-trimpath', '-ldflags=-s -w', '-o', `${target}.tmp`, 'go.etcd.io/etcd/server/v3'],
    {
      cwd: src,
      env: goEnv(),
    },
  );
  renameSync(`${target}.tmp`, target);
  rmSync(src, { recursive: true, force: true });
  log(`etcd built in ${formatElapsed(Date.now() - started)}`);
  return target;
}

// ---------------------------------------------------------------------------------------------
// kube-apiserver

async function buildKubeApiserver() {
  const go = requireGo('kube-apiserver');
  const failures = [];
  for (const version of candidateVersions()) {
    try {
      return await buildKubeApiserverVersion(go, version);
    } catch (error) {
      log(`building kube-apiserver ${version} failed: ${error.message}`);
      failures.push(`${version}: ${error.message}`);
    }
  }
  throw new Error(
    `kube-apiserver could not be built:\n  ${failures.join('\n  ')}\n${HOW_TO_INSTALL}`,
  );
}

/** The k8s.io/* modules that k8s.io/kubernetes's go.mod replaces with ./staging/src directories. */
export function stagingModules(goMod) {
  const modules = [];
  const pattern =
    /^\s*(?:replace\s+)?(k8s\.io\/[\w.-]+)\s*=>\s*\.\/staging\/src\/k8s\.io\/[\w.-]+\s*$/gm;
  for (const match of goMod.matchAll(pattern)) modules.push(match[1]);
  return modules;
}

/** go.mod of the wrapper module: requires k8s.io/kubernetes, maps staging modules to their releases. */
export function wrapperGoMod(kubernetesGoMod, version) {
  const staging = stagingModules(kubernetesGoMod);
  if (staging.length === 0)
    throw new Error('found no ./staging/src replace directives in k8s.io/kubernetes go.mod');
  const stagingVersion = version.replace(/^v1\./, 'v0.');
  const goDirective = /^go\s+(\S+)\s*$/m.exec(kubernetesGoMod)?.[1] ?? '1.24.0';
  const godebug = /^godebug\s+[^(\n]+$/m.exec(kubernetesGoMod)?.[0] ?? '';
  return [
    'module canary-engine.local/kube-apiserver-build',
    '',
    `go ${goDirective}`,
    '',
    godebug,
    '',
    `require k8s.io/kubernetes ${version}`,
    '',
    'replace (',
    ...staging.map((m) => `\t${m} => ${m} ${stagingVersion}`),
    ')',
    '',
  ].join('\n');
}

async function buildKubeApiserverVersion(go, version) {
  const dir = kubeCacheDir(version);
  const src = join(dir, 'src');
  const target = join(dir, 'kube-apiserver');
  const started = Date.now();
  log(
    `building kube-apiserver ${version} with ${go} into ${target} (first run only; long on a small machine)`,
  );
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });

  const info = JSON.parse(
    await run(go, ['mod', 'download', '-json', `k8s.io/kubernetes@${version}`], {
      cwd: src,
      env: goEnv(),
      quiet: true,
    }),
  );
  if (info.Error) throw new Error(`go mod download k8s.io/kubernetes@${version}: ${info.Error}`);
  const kubernetesGoMod = readFileSync(info.GoMod, 'utf8');
  const goMod = wrapperGoMod(kubernetesGoMod, version);
  log(
    `wrapper go.mod replaces ${stagingModules(kubernetesGoMod).length} staging modules with ${version.replace(/^v1\./, 'v0.')}`,
  );
  writeFileSync(join(src, 'go.mod'), goMod);
  writeFileSync(
    join(src, 'tools.go'),
    '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver"\n',
  );
  await run(go, ['mod', 'tidy'], { cwd: src, env: goEnv() });
  log(`dependencies resolved after ${formatElapsed(Date.now() - started)}; compiling`);

  const [major, minor] = version.replace(/^v/, '').split('.');
  const ldflags = [
    '-s',
    '-w',
    ...['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
      `-X ${pkg}.gitVersion=${version}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
    ]),
  ].join(' ');
  await run(
    go,
    [
      'build',
      '-v',
      '-trimpath',
      `-ldflags=${ldflags}`,
      '-o',
      `${target}.tmp`,
      'k8s.io/kubernetes/cmd/kube-apiserver',
    ],
    {
      cwd: src,
      env: goEnv(),
    },
  );
  const reported = (await run(`${target}.tmp`, ['--version'], { quiet: true })).trim();
  renameSync(`${target}.tmp`, target);
  writeFileSync(
    join(dir, 'BUILD-INFO'),
    `${reported}\nbuilt in ${formatElapsed(Date.now() - started)} on ${new Date().toISOString()}\n`,
  );
  log(`built ${reported} in ${formatElapsed(Date.now() - started)}`);
  return target;
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
