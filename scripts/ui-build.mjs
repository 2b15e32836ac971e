#!/usr/bin/env node
// Builds the dashboard's client (api/ui/client/main.ts and its stylesheet, uPlot included) with
// esbuild into dist/ui/dashboard.js and dist/ui/dashboard.css, minified, no source maps shipped.
// Fast when fresh: nothing is rebuilt while every source is older than the output. `npm start`,
// `npm test`, `npm run build` and the Dockerfile run it; `--force` rebuilds anyway. As a CLI it
// prints what it did and the sizes.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './lib/paths.mjs';

export const UI_SOURCE_DIR = join(repoRoot, 'api', 'ui', 'client');
export const UI_OUT_DIR = join(repoRoot, 'dist', 'ui');
const OUTPUTS = ['dashboard.js', 'dashboard.css'];

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function oldestOutput(outDir) {
  try {
    return Math.min(...OUTPUTS.map((f) => statSync(join(outDir, f)).mtimeMs));
  } catch {
    return 0;
  }
}

/** Whether the built assets are older than a source (or missing). */
export function uiBuildStale(outDir = UI_OUT_DIR) {
  const sources = Math.max(
    newestMtime(UI_SOURCE_DIR),
    statSync(join(repoRoot, 'node_modules', 'uplot', 'package.json')).mtimeMs,
    statSync(join(repoRoot, 'scripts', 'ui-build.mjs')).mtimeMs,
  );
  return oldestOutput(outDir) <= sources;
}

/**
 * Builds the dashboard's assets unless they are fresh. Returns the output directory, whether it
 * built, and the size of each output in bytes.
 */
export async function buildUi({ force = false, outDir = UI_OUT_DIR, quiet = false } = {}) {
  const built = force || uiBuildStale(outDir);
  if (built) {
    const { build } = await import('esbuild');
    mkdirSync(outDir, { recursive: true });
    const result = await build({
      entryPoints: { dashboard: join(UI_SOURCE_DIR, 'main.ts') },
      bundle: true,
      format: 'esm',
      minify: true,
      target: ['chrome109', 'firefox115', 'safari16'],
      outdir: outDir,
      metafile: true,
      legalComments: 'eof',
      logLevel: quiet ? 'error' : 'warning',
      tsconfigRaw: { compilerOptions: { strict: true } },
    });
    writeFileSync(join(outDir, 'meta.json'), JSON.stringify(result.metafile));
  }
  const sizes = Object.fromEntries(OUTPUTS.map((f) => [f, statSync(join(outDir, f)).size]));
  return { outDir, built, sizes };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const { outDir, built, sizes } = await buildUi({ force: process.argv.includes('--force') });
    const list = Object.entries(sizes)
      .map(([f, n]) => `${f} ${(n / 1024).toFixed(1)} KiB`)
      .join(', ');
    console.error(`[ui] ${built ? 'built' : 'fresh'}: ${outDir} (${list})`);
  } catch (error) {
    console.error(`[ui] build failed: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
