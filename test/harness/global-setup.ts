/**
 * Vitest global setup: one Temporal dev server for the whole run (free loopback port, SQLite file
 * in a temp dir, canary search attributes registered), and a real kube-apiserver when its binaries
 * are provisioned. Tests reach them through `inject('temporalAddress')` / `inject('kubeconfig')`.
 * Everything started here is stopped in the returned teardown, also when tests fail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureTemporalCli } from '../../scripts/temporal-cli.mjs';
import { freePort } from '../../scripts/lib/proc.mjs';
import { startDevServer } from '../../stack/temporal.js';
import { startKubeForTests } from './kube.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    kubeconfig: string | null;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'canary-test-temporal-'));
  const cli = ensureTemporalCli();
  const started = Date.now();
  const server = await startDevServer({
    cli,
    port: await freePort(),
    headless: true,
    dbFile: join(dir, 'temporal.sqlite'),
    logFile: join(dir, 'temporal.log'),
  });
  console.log(
    `[harness] temporal dev server on ${server.address} (ready in ${Date.now() - started} ms)`,
  );
  project.provide('temporalAddress', server.address);

  let kube: Awaited<ReturnType<typeof startKubeForTests>> = null;
  try {
    kube = await startKubeForTests();
  } catch (error) {
    await server.stop();
    throw error;
  }
  project.provide('kubeconfig', kube?.kubeconfigPath ?? null);

  return async () => {
    await kube?.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
