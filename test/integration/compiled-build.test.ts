/**
 * The production image's contents, without a Docker engine (none runs here): the production build
 * (tsconfig.build.json, what the Dockerfile's build stage runs) compiled to a temporary directory
 * holds no sandbox code, and its worker and API run as plain `node` on the compiled JavaScript —
 * no tsx — against the test's Temporal dev server. Prints the size of the compiled code and an
 * estimate of the production node_modules, the two things the runtime stage copies.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/lib/proc.mjs';
import { uniqueTaskQueue } from '../harness/temporal.js';

const root = join(import.meta.dirname, '..', '..');
/** Stands in for the image's /app: package.json (ESM), node_modules and the compiled dist/. */
const app = mkdtempSync(join(tmpdir(), 'canary-compiled-'));
const dist = join(app, 'dist');

beforeAll(() => {
  // the same command as `npm run build`, with another outDir so the work tree stays clean
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dist],
    { cwd: root, encoding: 'utf8' },
  );
  if (tsc.status !== 0) throw new Error(`the production build failed:\n${tsc.stdout}${tsc.stderr}`);
  copyFileSync(join(root, 'package.json'), join(app, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'), 'dir');
}, 120_000);

afterAll(() => rmSync(app, { recursive: true, force: true }));

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** Kilobytes `du` counts for `paths` together (a path inside another is counted once). */
function kilobytes(paths: string[]): number {
  if (paths.length === 0) return 0;
  const du = spawnSync('du', ['-skc', ...paths], { encoding: 'utf8' });
  return Number(/^(\d+)\s+total$/m.exec(du.stdout)?.[1] ?? NaN);
}

/** The packages `npm install --omit=dev` installs, as directories of this work tree's node_modules. */
function productionPackages(): string[] {
  const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: root,
    encoding: 'utf8',
  });
  const paths = ls.stdout
    .split('\n')
    .filter((line) => line.startsWith(join(root, 'node_modules') + sep));
  // nested packages lie inside their parent's folder, which du already counts
  return paths.filter(
    (path) => !paths.some((other) => other !== path && path.startsWith(other + sep)),
  );
}

/** Runs a compiled entry point with plain node; resolves once `ready` matches its stderr or it exits. */
function runCompiled(
  entry: string,
  env: Record<string, string>,
  ready: (stderr: string) => boolean,
): { child: ChildProcess; started: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [join(dist, entry)], {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const started = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (ready(stderr)) resolve({ code: null, stderr });
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
  return { child, started };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

describe('the production build (tsconfig.build.json)', () => {
  it('compiles the API, the worker and its workflows, and no sandbox, stack or test file', () => {
    const files = filesUnder(dist);
    for (const entry of ['api/main.js', 'worker/main.js', 'workflows/index.js'])
      expect(files, entry).toContain(entry);
    const offending = files.filter((file) => /^(sandbox|stack|test|bench|scripts)\//.test(file));
    expect(offending).toEqual([]);
    expect(files.filter((file) => file.endsWith('.ts'))).toEqual([]);
  });

  it('fits in a small image: compiled code plus production dependencies (sizes printed)', () => {
    const distKb = kilobytes([dist]);
    const packages = productionPackages();
    const modulesKb = kilobytes(packages);
    // the Dockerfile's prod-deps stage removes the Temporal core's libraries for other platforms
    const bridge = join(root, 'node_modules/@temporalio/core-bridge/releases');
    const foreignKb = kilobytes(
      readdirSync(bridge)
        .filter(
          (name) => name !== `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-unknown-linux-gnu`,
        )
        .map((name) => join(bridge, name)),
    );
    const imageModulesKb = modulesKb - foreignKb;
    const tsxKb = kilobytes(
      packages.filter((path) => /node_modules\/(tsx|esbuild|@esbuild)(\/|$)/.test(path)),
    );
    console.error(
      `[compiled-build] dist/ ${distKb} KiB; production node_modules ~${imageModulesKb} KiB once ` +
        `other platforms' Temporal core libraries (${foreignKb} KiB) are pruned ` +
        `(${packages.length} top-level package folders, of which tsx and esbuild ${tsxKb} KiB); ` +
        `image content besides the node:20-bookworm-slim base ~${Math.round((distKb + imageModulesKb) / 1024)} MiB ` +
        '(estimated from this work tree: no Docker engine here)',
    );
    expect(distKb).toBeGreaterThan(0);
    expect(packages.length).toBeGreaterThan(0);
  });
});

describe('the compiled entry points, run by node without tsx', () => {
  it('starts the compiled worker, which bundles its compiled workflows, polls and stops on SIGTERM', async () => {
    const { child, started } = runCompiled(
      'worker/main.js',
      {
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        CANARY_TASK_QUEUE: uniqueTaskQueue('compiled-worker'),
        CANARY_WORKER_HEALTH_PORT: '0',
      },
      (stderr) => stderr.includes('[worker] polling'),
    );
    try {
      const { code, stderr } = await started;
      expect(code, stderr).toBeNull();
      expect(stderr).toContain('[worker] polling');
      expect(stderr).not.toMatch(/ERR_UNKNOWN_FILE_EXTENSION|Cannot find module/);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  }, 150_000);

  it('starts the compiled API, which answers /healthz', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'canary-compiled-api-'));
    const { child, started } = runCompiled(
      'api/main.js',
      {
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        PORT: String(port),
        CANARY_DATA_DIR: dataDir,
      },
      (stderr) => stderr.includes('[api] listening'),
    );
    try {
      const { code, stderr } = await started;
      expect(code, stderr).toBeNull();
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(response.status).toBe(200);
    } finally {
      await stop(child);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('has no sandbox to load, so a compiled worker in sandbox mode exits 2 with one line naming CANARY_MODE', async () => {
    // the production image cannot be talked into sandbox mode: the sandbox is not in it
    expect(existsSync(join(dist, 'sandbox'))).toBe(false);
    const { child, started } = runCompiled(
      'worker/main.js',
      {
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        CANARY_TASK_QUEUE: uniqueTaskQueue('compiled-sandbox'),
        CANARY_WORKER_HEALTH_PORT: '0',
        CANARY_MODE: 'sandbox',
      },
      (stderr) => stderr.includes('[worker] polling'),
    );
    try {
      const { code, stderr } = await started;
      expect(code, stderr).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain('CANARY_MODE=sandbox');
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      await stop(child);
    }
  }, 60_000);
});
