/**
 * scripts/kube-binaries.mjs and the apt-get helper it shares with scripts/prometheus.mjs, run
 * against fake `apt-get`, `sudo` and `go` commands on PATH (shell scripts that log their arguments),
 * so nothing is installed or built.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { provisionEtcd, stagingModules, wrapperGoMod } from '../../scripts/kube-binaries.mjs';
import { aptInstall } from '../../scripts/lib/proc.mjs';

let dir: string;
let calls: string;
const saved = {
  PATH: process.env.PATH,
  CANARY_CACHE_DIR: process.env.CANARY_CACHE_DIR,
  CANARY_ETCD_SOURCE: process.env.CANARY_ETCD_SOURCE,
};

function fake(name: string, body: string): void {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> "${calls}"\n${body}\n`);
  chmodSync(file, 0o755);
}
const logged = () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []);
/** sudo that runs its command (after -n), as passwordless sudo does. */
const SUDO_RUNS = 'shift; exec "$@"';
/** sudo -n where sudo would ask for a password. */
const SUDO_REFUSES = 'echo "sudo: a password is required" >&2; exit 1';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kube-binaries-test-'));
  calls = join(dir, 'calls.log');
  // the fakes first; /usr/bin and /bin for env and sh
  process.env.PATH = `${dir}:/usr/bin:/bin`;
  process.env.CANARY_CACHE_DIR = join(dir, 'cache');
  delete process.env.CANARY_ETCD_SOURCE;
});

afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('aptInstall', () => {
  it('returns false without running anything when apt-get is not on PATH', () => {
    process.env.PATH = dir;
    fake('sudo', SUDO_RUNS);
    expect(aptInstall(['etcd-server'], { root: false })).toBe(false);
    expect(logged()).toEqual([]);
  });

  it('returns false when it is not root and sudo -n refuses, without running apt-get directly', () => {
    fake('apt-get', 'exit 0');
    fake('sudo', SUDO_REFUSES);
    expect(aptInstall(['etcd-server'], { root: false })).toBe(false);
    expect(logged().every((line) => line.startsWith('sudo -n '))).toBe(true);
  });

  it('installs through sudo -n, running apt-get update and installing again when the first install fails', () => {
    fake('sudo', SUDO_RUNS);
    // install fails until the package lists have been updated
    fake(
      'apt-get',
      `if [ "$1" = update ]; then touch "${dir}/updated"; exit 0; fi; [ -e "${dir}/updated" ]`,
    );
    expect(aptInstall(['etcd-server'], { root: false })).toBe(true);
    const apt = 'DEBIAN_FRONTEND=noninteractive apt-get';
    expect(logged()).toEqual([
      `sudo -n env ${apt} install -y --no-install-recommends etcd-server`,
      'apt-get install -y --no-install-recommends etcd-server',
      `sudo -n env ${apt} update`,
      'apt-get update',
      `sudo -n env ${apt} install -y --no-install-recommends etcd-server`,
      'apt-get install -y --no-install-recommends etcd-server',
    ]);
  });

  it('runs apt-get without sudo as root', () => {
    fake('sudo', 'exit 1');
    fake('apt-get', 'exit 0');
    expect(aptInstall(['prometheus'], { root: true })).toBe(true);
    expect(logged()).toEqual(['apt-get install -y --no-install-recommends prometheus']);
  });
});

describe('provisionEtcd', () => {
  it('builds etcd with Go into the cache when apt-get cannot install it', async () => {
    fake('sudo', SUDO_REFUSES);
    fake('apt-get', 'exit 100');
    // `go build ... -o FILE ...` writes an executable FILE; other go commands succeed
    fake(
      'go',
      'if [ "$1" = build ]; then while [ $# -gt 0 ]; do if [ "$1" = -o ]; then shift; printf "#!/bin/sh\\n" > "$1"; chmod +x "$1"; fi; shift; done; fi; exit 0',
    );
    const etcd = await provisionEtcd();
    expect(etcd.startsWith(join(dir, 'cache', 'kube'))).toBe(true);
    expect(etcd.endsWith('/etcd')).toBe(true);
    expect(existsSync(etcd)).toBe(true);
    const goCalls = logged().filter((line) => line.startsWith('go '));
    expect(goCalls.map((line) => line.split(' ')[1])).toEqual(['get', 'mod', 'build']);
    expect(goCalls[0]).toContain('go.etcd.io/etcd/server/v3@v3.5');
  });
});

/** An excerpt of k8s.io/kubernetes's go.mod: staging replaces in a block and on their own. */
const KUBERNETES_GO_MOD = `module k8s.io/kubernetes

go 1.24.0

godebug default=go1.24

require (
\tgithub.com/spf13/cobra v1.9.1
\tk8s.io/api v0.0.0
\tk8s.io/apiserver v0.0.0
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/apiserver => ./staging/src/k8s.io/apiserver
\tk8s.io/cri-api => ./staging/src/k8s.io/cri-api
\tgithub.com/example/fork => github.com/example/fork v1.2.3
)

replace k8s.io/sample-cli-plugin => ./staging/src/k8s.io/sample-cli-plugin
`;

describe('stagingModules', () => {
  it('lists the k8s.io modules replaced by ./staging/src directories and nothing else', () => {
    expect(stagingModules(KUBERNETES_GO_MOD)).toEqual([
      'k8s.io/api',
      'k8s.io/apiserver',
      'k8s.io/cri-api',
      'k8s.io/sample-cli-plugin',
    ]);
  });

  it('finds none in a go.mod without staging replaces', () => {
    expect(
      stagingModules('module example.com/x\n\ngo 1.24.0\n\nreplace github.com/a/b => ../b\n'),
    ).toEqual([]);
  });
});

describe('wrapperGoMod', () => {
  it('requires k8s.io/kubernetes and maps each staging module to its v0 release, keeping the go and godebug directives', () => {
    const goMod = wrapperGoMod(KUBERNETES_GO_MOD, 'v1.34.4');
    expect(goMod).toMatch(/^module canary-engine\.local\/kube-apiserver-build$/m);
    expect(goMod).toMatch(/^go 1\.24\.0$/m);
    expect(goMod).toMatch(/^godebug default=go1\.24$/m);
    expect(goMod).toMatch(/^require k8s\.io\/kubernetes v1\.34\.4$/m);
    const replaces = [...goMod.matchAll(/^\t(\S+) => (\S+) (\S+)$/gm)].map((m) => [
      m[1],
      m[2],
      m[3],
    ]);
    expect(replaces).toEqual(
      ['k8s.io/api', 'k8s.io/apiserver', 'k8s.io/cri-api', 'k8s.io/sample-cli-plugin'].map((m) => [
        m,
        m,
        'v0.34.4',
      ]),
    );
    expect(goMod).not.toContain('github.com/example/fork');
  });

  it('refuses a go.mod without staging replaces', () => {
    expect(() => wrapperGoMod('module k8s.io/kubernetes\n\ngo 1.24.0\n', 'v1.34.4')).toThrow(
      /no \.\/staging\/src replace directives/,
    );
  });
});
