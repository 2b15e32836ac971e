// Provisions the Kubernetes test binaries that scripts/kube-binaries.mjs could not find: etcd from
// apt-get or built with Go, kube-apiserver and kube-controller-manager (any k8s.io/kubernetes/cmd/X)
// built with Go from the module proxy through a wrapper module (see scripts/kube-binaries.mjs for
// why). Builds land in the cache directory. Node builtins only.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aptInstall, isExecutable, onPath } from './proc.mjs';
import {
  ETCD_GO_VERSION,
  HOW_TO_INSTALL,
  candidateVersions,
  formatElapsed,
  kubeCacheDir,
  log,
} from './kube-shared.mjs';

// ---------------------------------------------------------------------------------------------
// Processes

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
// kube-apiserver, kube-controller-manager: k8s.io/kubernetes/cmd/<command>

/** The Kubernetes commands this builds (each from k8s.io/kubernetes/cmd/<command>). */
export const KUBE_COMMANDS = ['kube-apiserver', 'kube-controller-manager'];

/** Builds k8s.io/kubernetes/cmd/<command> into the cache, trying each candidate version in turn. */
export async function buildKubeCommand(command) {
  if (!KUBE_COMMANDS.includes(command)) throw new Error(`not a Kubernetes command: ${command}`);
  const go = requireGo(command);
  const failures = [];
  for (const version of candidateVersions()) {
    try {
      return await buildKubeCommandVersion(go, command, version);
    } catch (error) {
      log(`building ${command} ${version} failed: ${error.message}`);
      failures.push(`${version}: ${error.message}`);
    }
  }
  throw new Error(`${command} could not be built:\n  ${failures.join('\n  ')}\n${HOW_TO_INSTALL}`);
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

async function buildKubeCommandVersion(go, command, version) {
  const dir = kubeCacheDir(version);
  const src = join(dir, `src-${command}`);
  const target = join(dir, command);
  const started = Date.now();
  log(
    `building ${command} ${version} with ${go} into ${target} (first run only; long on a small machine)`,
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
    `//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/${command}"\n`,
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
      `k8s.io/kubernetes/cmd/${command}`,
    ],
    {
      cwd: src,
      env: goEnv(),
    },
  );
  const reported = (await run(`${target}.tmp`, ['--version'], { quiet: true })).trim();
  renameSync(`${target}.tmp`, target);
  writeFileSync(
    join(dir, `BUILD-INFO-${command}`),
    `${reported}\nbuilt in ${formatElapsed(Date.now() - started)} on ${new Date().toISOString()}\n`,
  );
  log(`built ${command} ${reported} in ${formatElapsed(Date.now() - started)}`);
  return target;
}
