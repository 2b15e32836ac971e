#!/usr/bin/env node
// `npm test`: set-up (npm dependencies, Temporal CLI, Prometheus, etcd + kube-apiserver +
// kube-controller-manager, helm,
// schemathesis, Chromium for the dashboard's browser tests, the dashboard's bundle), then
// typecheck, lint and the whole vitest suite. Idempotent; fast when everything is in place.
// Extra arguments go to vitest (e.g. `npm test -- test/unit`).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNodeModules } from './lib/deps.mjs';
import { repoRoot } from './lib/paths.mjs';

const started = Date.now();
const step = (name) =>
  console.error(`\n[test] ${name} (${((Date.now() - started) / 1000).toFixed(0)} s)`);

function runStep(name, cmd, args) {
  step(name);
  const result = spawnSync(cmd, args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`[test] ${name} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
}

try {
  step('setup: npm dependencies');
  ensureNodeModules();
  step('setup: Temporal CLI');
  const { ensureTemporalCli } = await import('./temporal-cli.mjs');
  console.error(`[test] temporal: ${ensureTemporalCli()}`);
  step('setup: Prometheus');
  const { ensurePrometheus } = await import('./prometheus.mjs');
  console.error(`[test] prometheus: ${await ensurePrometheus()}`);
  step('setup: etcd, kube-apiserver and kube-controller-manager');
  const { ensureKubeBinaries } = await import('./kube-binaries.mjs');
  const kube = await ensureKubeBinaries();
  console.error(
    `[test] etcd: ${kube.etcd}\n[test] kube-apiserver: ${kube.kubeApiserver}\n[test] kube-controller-manager: ${kube.kubeControllerManager}`,
  );
  step('setup: helm');
  const { ensureHelm } = await import('./helm.mjs');
  console.error(`[test] helm: ${ensureHelm()}`);
  step('setup: schemathesis');
  const { ensureSchemathesis } = await import('./schemathesis.mjs');
  console.error(`[test] schemathesis: ${ensureSchemathesis()}`);
  step('setup: chromium and the dashboard bundle');
  const { ensureChromium } = await import('./chromium.mjs');
  console.error(`[test] chromium: ${ensureChromium()}`);
  const { buildUi } = await import('./ui-build.mjs');
  console.error(`[test] dashboard: ${(await buildUi({ quiet: true })).outDir}`);
} catch (error) {
  console.error(`[test] set-up failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}

runStep('typecheck', 'npx', ['--no-install', 'tsc', '--noEmit', '-p', 'tsconfig.json']);
runStep('lint', 'npx', ['--no-install', 'eslint', '.']);
runStep('format', 'npx', ['--no-install', 'prettier', '--check', '.']);

step('vitest');
const out = mkdtempSync(join(tmpdir(), 'canary-vitest-'));
const report = join(out, 'report.json');
const vitest = spawnSync(
  'npx',
  [
    '--no-install',
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { cwd: repoRoot, stdio: 'inherit' },
);
let summary = '';
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  summary = `${r.numPassedTests} passed, ${r.numFailedTests} failed${r.numPendingTests + r.numTodoTests > 0 ? `, ${r.numPendingTests + r.numTodoTests} skipped` : ''}`;
} catch {
  summary = '';
}
rmSync(out, { recursive: true, force: true });
console.log(`\n[test] finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (summary) console.log(`tests: ${summary}`);
process.exit(vitest.status ?? 1);
