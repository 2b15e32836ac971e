/**
 * No Docker engine runs here, so this checks docker-compose.yml and the Dockerfile as text: every
 * service the engine needs is there, ports and environment agree with the engine's configuration
 * (worker/config.ts), and every file they reference exists; the Dockerfile's stages agree with the
 * build (tsconfig.build.json) and with what the entry points import, and the production image's
 * import graph reaches no sandbox code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ReleaseSpec } from '../../core/spec.js';
import {
  DEFAULT_DEMO_BASE_PORT,
  DEFAULT_ROUTER_PORT,
  DEMO_VERSION_NAMES,
} from '../../sandbox/index.js';
import { engineEnvSchema } from '../../worker/config.js';
import { TASK_QUEUE } from '../../workflows/messages.js';
import { NPM_INSTALL_ARGS } from '../../scripts/lib/deps.mjs';

const root = join(import.meta.dirname, '..', '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      build?: { context: string; dockerfile: string; target?: string };
      command?: string[];
      environment?: Record<string, string>;
      ports?: string[];
      volumes?: string[];
      profiles?: string[];
      depends_on?: Record<string, unknown> | string[];
      healthcheck?: unknown;
    }
  >;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const engineServices = ['worker', 'api', 'sandbox'];
/** Variables the sandbox entry point reads besides the engine's. */
const SANDBOX_ONLY = ['SANDBOX_HOST'];

/**
 * Relative module specifiers `file` imports: every import with `dynamic`, else only import and
 * export declarations (what loads with the module, the production image's static graph).
 */
function importsOf(file: string, dynamic: boolean): string[] {
  const text = readFileSync(file, 'utf8');
  if (dynamic) return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022);
  return source.statements.flatMap((statement) =>
    (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
    statement.moduleSpecifier &&
    ts.isStringLiteral(statement.moduleSpecifier)
      ? [statement.moduleSpecifier.text]
      : [],
  );
}

/** Repository files `entries` import, transitively (relative imports only), as paths from the root. */
function importClosure(entries: string[], { dynamic = true } = {}): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    const path = relative(root, file);
    if (seen.has(path)) return;
    seen.add(path);
    for (const fileName of importsOf(file, dynamic)) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), fileName);
      const found = [target, target.replace(/\.js$/, '.ts'), target.replace(/\.js$/, '.tsx')].find(
        (candidate) => existsSync(candidate),
      );
      if (!found) throw new Error(`${path} imports ${fileName}, which does not exist`);
      visit(found);
    }
  };
  for (const entry of entries) visit(join(root, entry));
  return seen;
}

/** The source file of an entry point: `dist/api/main.js` compiles from `api/main.ts`. */
function sourceOf(entry: string): string {
  return entry.replace(/^dist\/(.*)\.js$/, '$1.ts');
}

/** A service's entry point: the script its command runs, TypeScript or compiled. */
function entryOf(name: string): string {
  const entry = services[name]?.command?.find((part) => /\.(ts|js)$/.test(part));
  if (!entry) throw new Error(`service ${name} runs no script`);
  return entry;
}

describe('docker-compose.yml', () => {
  it('has Temporal with PostgreSQL, the Temporal UI, Prometheus, the worker and the API, and the sandbox in its own profile', () => {
    expect(Object.keys(services).sort()).toEqual([
      'api',
      'postgresql',
      'prometheus',
      'sandbox',
      'temporal',
      'temporal-ui',
      'worker',
    ]);
    expect(services.temporal?.environment).toMatchObject({
      DB: 'postgres12',
      POSTGRES_SEEDS: 'postgresql',
    });
    expect(services.sandbox?.profiles).toEqual(['sandbox']);
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'prometheus', 'worker', 'api'])
      expect(services[name]?.profiles).toBeUndefined();
  });

  it('builds the engine services from the Dockerfile and runs entry points that exist', () => {
    for (const name of engineServices) {
      const service = services[name]!;
      expect(service.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
      expect(stageNames(), `${name} builds a stage of the Dockerfile`).toContain(
        service.build?.target,
      );
      const entry = entryOf(name);
      expect(existsSync(join(root, sourceOf(entry))), `${name}: ${entry}'s source exists`).toBe(
        true,
      );
    }
  });

  it('runs the API and the worker as compiled JavaScript, the API from the production image', () => {
    expect(entryOf('api')).toBe('dist/api/main.js');
    expect(entryOf('worker')).toBe('dist/worker/main.js');
    for (const name of ['api', 'worker'])
      expect(services[name]?.command, `${name} needs no tsx`).not.toContain('tsx');
    expect(services.api?.build?.target).toBe('runtime');
    // the quickstart's worker is in sandbox mode: it loads the sandbox's providers, which only the
    // sandbox target has
    expect(services.worker?.environment?.CANARY_MODE).toBe('sandbox');
    expect(services.worker?.build?.target).toBe('sandbox');
    expect(services.sandbox?.build?.target).toBe('sandbox');
  });

  it('gives the engine only environment variables its configuration knows, with values it accepts', () => {
    const known = new Set([...Object.keys(engineEnvSchema.shape), ...SANDBOX_ONLY]);
    for (const name of engineServices) {
      const env = services[name]!.environment ?? {};
      for (const key of Object.keys(env))
        expect(known.has(key), `${name}: ${key} is read by the engine`).toBe(true);
      const parsed = engineEnvSchema.safeParse(
        Object.fromEntries(Object.entries(env).filter(([k]) => !SANDBOX_ONLY.includes(k))),
      );
      expect(parsed.success, `${name}: ${parsed.success ? '' : parsed.error.message}`).toBe(true);
    }
  });

  it('points the worker and the API at the Temporal frontend it publishes, on the engine task queue', () => {
    expect(services.temporal?.ports).toContain('127.0.0.1:7233:7233');
    for (const name of ['worker', 'api']) {
      expect(services[name]?.environment).toMatchObject({
        TEMPORAL_ADDRESS: 'temporal:7233',
        CANARY_TASK_QUEUE: TASK_QUEUE,
      });
    }
  });

  it('publishes the API on the port it listens on, and the UI and Prometheus on their usual ports', () => {
    const api = services.api!;
    const port = api.environment?.PORT;
    expect(api.ports).toContain(`${port}:${port}`);
    expect(api.environment?.HOST).toBe('0.0.0.0');
    expect(services['temporal-ui']?.ports).toContain('127.0.0.1:8233:8080');
    expect(services.prometheus?.ports).toContain('9090:9090');
  });

  it('lets Prometheus scrape the sandbox on the ports the sandbox listens on', () => {
    const config = parse(readFileSync(join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{
        job_name: string;
        metrics_path?: string;
        static_configs: Array<{ targets: string[] }>;
      }>;
    };
    const targets = (job: string) =>
      config.scrape_configs
        .find((c) => c.job_name === job)
        ?.static_configs.flatMap((s) => s.targets) ?? [];
    expect(targets('sandbox-demo')).toEqual(
      DEMO_VERSION_NAMES.map((_, i) => `sandbox:${DEFAULT_DEMO_BASE_PORT + i}`),
    );
    expect(targets('sandbox-router')).toEqual([`sandbox:${DEFAULT_ROUTER_PORT}`]);
    expect(services.sandbox?.ports).toContain(`${DEFAULT_ROUTER_PORT}:${DEFAULT_ROUTER_PORT}`);
    expect(services.worker?.environment?.CANARY_SANDBOX_URL).toBe(
      `http://sandbox:${DEFAULT_ROUTER_PORT}`,
    );
    expect(services.worker?.environment?.CANARY_PROMETHEUS_URL).toBe('http://prometheus:9090');
  });

  it('mounts only files and folders that exist in the repository', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./'))
          expect(existsSync(join(root, source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: named volume ${source}`).toHaveProperty(source);
      }
    }
  });

  it('publishes Temporal and its UI, which have no authentication, on loopback only', () => {
    for (const name of ['temporal', 'temporal-ui']) {
      for (const port of services[name]?.ports ?? [])
        expect(port, `${name}: ${port}`).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('takes the PostgreSQL password from the environment and hard-codes none', () => {
    const fromEnv = /^\$\{POSTGRES_PASSWORD:\?[^}]+\}$/;
    expect(services.postgresql?.environment?.POSTGRES_PASSWORD).toMatch(fromEnv);
    expect(services.temporal?.environment?.POSTGRES_PWD).toMatch(fromEnv);
  });

  it('checks the worker through its /healthz on the default health port', () => {
    expect(JSON.stringify(services.worker?.healthcheck)).toContain(
      `127.0.0.1:${engineEnvSchema.shape.CANARY_WORKER_HEALTH_PORT.parse(undefined)}/healthz`,
    );
  });

  it('starts the engine only after Temporal is healthy', () => {
    for (const name of ['worker', 'api'])
      expect(services[name]?.depends_on).toMatchObject({
        temporal: { condition: 'service_healthy' },
      });
    expect(services.temporal?.healthcheck).toBeDefined();
  });
});

/** The Dockerfile's stages by name, each with its base and its instructions' lines. */
function dockerStages(): Map<string, { from: string; lines: string[] }> {
  const stages = new Map<string, { from: string; lines: string[] }>();
  let current: string[] | undefined;
  for (const line of readFileSync(join(root, 'Dockerfile'), 'utf8').split('\n')) {
    const from = /^FROM (\S+) AS (\S+)$/.exec(line);
    if (from) stages.set(from[2]!, { from: from[1]!, lines: (current = []) });
    else current?.push(line);
  }
  return stages;
}

function stageNames(): string[] {
  return [...dockerStages().keys()];
}

/** Folders a stage copies from the build context, each to the same place. */
function copiedFolders(stage: string): string[] {
  return (dockerStages().get(stage)?.lines ?? []).flatMap((line) => {
    const copy = /^COPY (?!--from)(\S+) \.\/(\S+)$/.exec(line);
    if (!copy) return [];
    expect(copy[2], `${copy[1]} is copied to the same place`).toBe(copy[1]);
    return [copy[1]!];
  });
}

/**
 * Read only while the build stage bundles the dashboard's client (api/ui/client imports the CLI's
 * SSE parser): not imported by the engine at run time.
 */
const UI_BUILD_INPUTS = ['cli/lib', 'scripts/ui-build.mjs', 'scripts/lib/paths.mjs'];

/** What the production entry points load: the API, the worker and the workflows it bundles. */
async function productionEntries(): Promise<string[]> {
  const { WORKFLOWS_PATH } = await import('../../worker/index.js');
  return [sourceOf(entryOf('api')), sourceOf(entryOf('worker')), relative(root, WORKFLOWS_PATH)];
}

const buildConfig = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as {
  include: string[];
};

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

  it('is multi-stage, runs as a non-root user and has a health check', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });

  it('copies only folders that exist, and everything the engine imports at run time', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(\S+) /gm)].map((m) => m[1]!);
    for (const path of copied) expect(existsSync(join(root, path)), path).toBe(true);
    for (const folder of ['core', 'client', 'workflows', 'activities', 'worker', 'api', 'sandbox'])
      expect(copied).toContain(folder);
  });

  it('has a build, a sandbox and a production stage, the production one last so that it is the default', () => {
    const stages = dockerStages();
    expect([...stages.keys()]).toEqual(['build', 'sandbox', 'prod-deps', 'runtime']);
    expect(stages.get('sandbox')?.from).toBe('build');
    expect(stages.get('runtime')?.from).toBe('node:20-bookworm-slim');
    expect(stages.get('build')?.lines).toContain('RUN npm run build');
  });

  it('compiles exactly the folders the production entry points import, and no sandbox', async () => {
    const needed = importClosure(await productionEntries(), { dynamic: false });
    const folders = [...new Set([...needed].map((file) => file.split('/')[0]!))].sort();
    expect([...buildConfig.include].sort()).toEqual(folders);
    // besides, what the dashboard's bundle reads at build time (scripts/ui-build.mjs)
    const copied = copiedFolders('build');
    expect(copied.filter((f) => !UI_BUILD_INPUTS.includes(f)).sort()).toEqual(folders);
    expect(copied.filter((f) => UI_BUILD_INPUTS.includes(f)).sort()).toEqual(
      [...UI_BUILD_INPUTS].sort(),
    );
    expect(folders).not.toContain('sandbox');
  });

  it('ships only compiled code and production dependencies in the runtime stage, which runs without tsx', () => {
    const runtime = dockerStages().get('runtime')!.lines;
    const copies = runtime.filter((line) => line.startsWith('COPY '));
    expect(copies).toEqual([
      'COPY --from=prod-deps /app/node_modules ./node_modules',
      'COPY package.json ./',
      'COPY --from=build /app/dist ./dist',
    ]);
    expect(runtime).toContain('USER node');
    expect(runtime).toContain('CMD ["node", "dist/api/main.js"]');
    expect(runtime.join('\n')).not.toContain('tsx');
  });

  it('copies into the sandbox stage every file the sandbox, the local stack and a sandbox-mode worker import', async () => {
    // the worker loads sandbox/providers.ts by a computed specifier (worker/providers.ts)
    const needed = importClosure([
      'sandbox/main.ts',
      'stack/main.ts',
      'sandbox/providers.ts',
      ...(await productionEntries()),
    ]);
    const copiedDirs = [...copiedFolders('build'), ...copiedFolders('sandbox')];
    const covered = (file: string) => copiedDirs.some((dir) => file.startsWith(`${dir}/`));
    for (const file of needed) expect(covered(file), `${file} is in the image`).toBe(true);
    for (const dir of copiedFolders('sandbox'))
      expect(
        [...needed].some((file) => file.startsWith(`${dir}/`)),
        `${dir} is needed`,
      ).toBe(true);
    expect(entryOf('sandbox')).toBe('sandbox/main.ts');
    expect(dockerStages().get('sandbox')?.lines).toContain('RUN npm run build:sandbox');
  });

  it('installs dependencies as scripts/lib/deps.mjs does, not with npm ci (which refuses this lockfile), and only production ones for the runtime', () => {
    const installs = [...dockerStages()].flatMap(([stage, { lines }]) =>
      lines.flatMap((line) => {
        const run = /^RUN (npm install .*)$/.exec(line);
        return run ? [[stage, run[1]!.trim().split(/\s+/)] as const] : [];
      }),
    );
    expect(installs.map(([stage]) => stage)).toEqual(['build', 'prod-deps']);
    for (const [, args] of installs) {
      expect(args).not.toContain('ci');
      expect(args.slice(0, 2)).toEqual(['npm', 'install']);
    }
    expect(new Set(installs[0]![1].slice(1))).toEqual(new Set(NPM_INSTALL_ARGS));
    expect(new Set(installs[1]![1].slice(1))).toEqual(new Set([...NPM_INSTALL_ARGS, '--omit=dev']));
  });
});

describe('the Helm chart', () => {
  it('runs the compiled entry points the production image has, without tsx', () => {
    const values = parse(
      readFileSync(join(root, 'deploy/helm/canary-engine/values.yaml'), 'utf8'),
    ) as Record<'worker' | 'api', { command: string[] }>;
    expect(values.worker.command).toEqual(['node', 'dist/worker/main.js']);
    expect(values.api.command).toEqual(['node', 'dist/api/main.js']);
    for (const entry of ['dist/worker/main.js', 'dist/api/main.js'])
      expect(buildConfig.include, entry).toContain(sourceOf(entry).split('/')[0]);
  });
});

describe('the production dependencies', () => {
  it("keep the Temporal core's native library for the image's platform when the others are pruned", () => {
    const prune = dockerStages()
      .get('prod-deps')!
      .lines.join('\n')
      .replace(/\\\n\s*/g, '');
    const releases = /find (\S+) -mindepth 1 -maxdepth 1 ! -name "\$\(uname -m\)(\S+)"/.exec(prune);
    expect(releases, 'the prod-deps stage prunes foreign native libraries').not.toBeNull();
    // the libraries' folders are named after `uname -m` on the two Linux platforms Node images exist for
    for (const machine of ['x86_64', 'aarch64'])
      expect(
        existsSync(join(root, releases![1]!, `${machine}${releases![2]!}`, 'index.node')),
      ).toBe(true);
  });
});

describe('the production import graph', () => {
  it('reaches no sandbox or local-stack file from the API, the worker or its workflows', async () => {
    const graph = importClosure(await productionEntries(), { dynamic: false });
    const offending = [...graph].filter((file) => /^(sandbox|stack|test|bench)\//.test(file));
    expect(offending).toEqual([]);
  });

  it('would notice a sandbox import: the sandbox-mode graph has one', () => {
    // a negative control: the walk follows imports far enough to find sandbox/ where it is imported
    const graph = importClosure(['stack/main.ts'], { dynamic: false });
    expect([...graph].some((file) => file.startsWith('sandbox/'))).toBe(true);
  });
});

describe('the worker process', () => {
  it("passes the environment's default Prometheus and, in sandbox mode, the sandbox's address to its providers", async () => {
    const { providerOptionsFromEnv } = await import('../../worker/providers.js');
    const options = await providerOptionsFromEnv(
      engineEnvSchema.parse(services.worker!.environment),
    );
    expect(options.metrics?.sources.default).toEqual({ address: 'http://prometheus:9090' });
    expect(options.sandbox?.router({ type: 'sandbox' }, {} as ReleaseSpec).target).toBe(
      'sandbox/router/http://sandbox:8089',
    );
    const main = readFileSync(join(root, 'worker/main.ts'), 'utf8');
    expect(main).toContain('providerOptions = await providerOptionsFromEnv(env)');
    expect(main).toContain('createProviders(providerOptions)');
  });
});
