/**
 * No Docker engine runs here, so this checks docker-compose.yml and the Dockerfile as text: every
 * service the engine needs is there, ports and environment agree with the engine's configuration
 * (worker/config.ts), and every file they reference exists.
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
      build?: { context: string; dockerfile: string };
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

/** Repository files `entries` import, transitively (relative imports only), as paths from the root. */
function importClosure(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    const path = relative(root, file);
    if (seen.has(path)) return;
    seen.add(path);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), fileName);
      const found = [target, target.replace(/\.js$/, '.ts')].find((candidate) =>
        existsSync(candidate),
      );
      if (!found) throw new Error(`${path} imports ${fileName}, which does not exist`);
      visit(found);
    }
  };
  for (const entry of entries) visit(join(root, entry));
  return seen;
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
      expect(service.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
      const entry = service.command?.find((part) => part.endsWith('.ts'));
      expect(entry, `${name} runs a TypeScript entry point`).toBeDefined();
      expect(existsSync(join(root, entry!)), `${name}: ${entry} exists`).toBe(true);
    }
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

  it('copies every file its entry points import and no folder none of them needs', async () => {
    const { WORKFLOWS_PATH } = await import('../../worker/index.js');
    const entries = [
      ...new Set(
        engineServices.map((name) =>
          services[name]!.command!.find((part) => part.endsWith('.ts'))!,
        ),
      ),
    ];
    expect(entries.sort()).toEqual(['api/main.ts', 'sandbox/main.ts', 'worker/main.ts']);
    // the worker bundles its workflows from a path, not an import
    const needed = importClosure([...entries, relative(root, WORKFLOWS_PATH)]);
    const copiedDirs = [...dockerfile.matchAll(/^COPY (?!--from)(\S+) \.\/(\S+)$/gm)].map((m) => {
      expect(m[2], `${m[1]} is copied to the same place`).toBe(m[1]);
      return m[1]!;
    });
    const covered = (file: string) => copiedDirs.some((dir) => file.startsWith(`${dir}/`));
    for (const file of needed) expect(covered(file), `${file} is in the image`).toBe(true);
    for (const dir of copiedDirs)
      expect(
        [...needed].some((file) => file.startsWith(`${dir}/`)),
        `${dir} is needed`,
      ).toBe(true);
  });

  it('installs the production dependencies as scripts/lib/deps.mjs does, not with npm ci (which refuses this lockfile)', () => {
    const installs = [...dockerfile.matchAll(/^RUN (npm .*)$/gm)].map((m) =>
      m[1]!.trim().split(/\s+/),
    );
    expect(installs).toHaveLength(1);
    expect(installs[0]).not.toContain('ci');
    expect(installs[0]!.slice(0, 2)).toEqual(['npm', 'install']);
    expect(new Set(installs[0]!.slice(1))).toEqual(new Set([...NPM_INSTALL_ARGS, '--omit=dev']));
  });
});

describe('the worker process', () => {
  it("passes the environment's default Prometheus and, in sandbox mode, the sandbox's address to its providers", async () => {
    const { providerOptionsFromEnv } = await import('../../worker/providers.js');
    const options = providerOptionsFromEnv(engineEnvSchema.parse(services.worker!.environment));
    expect(options.metrics?.sources.default).toEqual({ address: 'http://prometheus:9090' });
    expect(options.sandbox?.router({ type: 'sandbox' }, {} as ReleaseSpec).target).toBe(
      'sandbox/router/http://sandbox:8089',
    );
    expect(readFileSync(join(root, 'worker/main.ts'), 'utf8')).toContain(
      'createProviders(providerOptionsFromEnv(env))',
    );
  });
});
