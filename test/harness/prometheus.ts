/**
 * A real Prometheus server for tests: our own process on a free loopback port, with a generated
 * configuration that scrapes the given targets and a temporary data directory removed on stop.
 * Never the system's Prometheus (a Debian install may run one on :9090): nothing here depends on
 * it or touches it. The process is the local stack's (sandbox/prometheus.ts), so it also goes away
 * when the test process dies without cleaning up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStackPrometheus } from '../../sandbox/prometheus.js';
import { ensurePrometheus } from '../../scripts/prometheus.mjs';

export interface PrometheusHarness {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Stops the server and removes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** host:port of each /metrics endpoint to scrape. */
  scrapeTargets: string[];
  /** Default '1s'. */
  scrapeInterval?: string;
}

/** Starts Prometheus scraping `scrapeTargets`; resolves once /-/ready answers 200. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusHarness> {
  const binary = await ensurePrometheus({ quiet: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'canary-test-prometheus-'));
  let server: Awaited<ReturnType<typeof startStackPrometheus>>;
  try {
    server = await startStackPrometheus({
      binary,
      port: 0,
      dataDir,
      targets: options.scrapeTargets.map((target) => ({ job: 'test-exporter', target })),
      scrapeInterval: options.scrapeInterval ?? '1s',
      retention: '1h',
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    stop: () =>
      (stopping ??= server.stop().then(() => rm(dataDir, { recursive: true, force: true }))),
  };
}
