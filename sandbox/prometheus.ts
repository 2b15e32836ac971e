/**
 * A Prometheus server for the local stack: scrapes the sandbox's targets every second and serves
 * queries on a loopback port. The binary comes from ensurePrometheus() (scripts/prometheus.mjs).
 *
 * The server runs under a small shell watchdog that stops it when the Node process that started it
 * is gone, even if that process was killed without running its exit handlers.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort, portInUse } from '../scripts/lib/proc.mjs';
import { LOOPBACK } from './net.js';

/** One endpoint to scrape. */
export interface ScrapeTarget {
  /** Prometheus job name; a job's targets share one scrape configuration. */
  job: string;
  /** host:port */
  target: string;
  /** Extra labels for the target's series. */
  labels?: Record<string, string>;
  /** Path of the metrics; default /metrics. All targets of a job must use the same path. */
  metricsPath?: string;
}

export interface StackPrometheusOptions {
  /** Path of the prometheus binary (ensurePrometheus() in scripts/prometheus.mjs finds one). */
  binary: string;
  /** Loopback port to serve on; 0 for a free one. Default 9090, the example specs' address. */
  port?: number;
  /** Directory for the configuration file and the TSDB (created if missing; kept after stop). */
  dataDir: string;
  targets: ScrapeTarget[];
  /** Scrape and rule-evaluation interval. Default "1s". */
  scrapeInterval?: string;
  /** How long samples are kept. Default "6h". */
  retention?: string;
  /** How long to wait for /-/ready. Default 30 s. */
  readyTimeoutMs?: number;
}

export interface StackPrometheus {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  configFile: string;
  /** Stops the server (SIGTERM, SIGKILL after 5 s). Safe to call twice. */
  stop(): Promise<void>;
}

/** The Prometheus configuration that scrapes every target at `interval`, as YAML. */
export function prometheusConfig(targets: readonly ScrapeTarget[], interval: string): string {
  const jobs = new Map<string, ScrapeTarget[]>();
  for (const target of targets) jobs.set(target.job, [...(jobs.get(target.job) ?? []), target]);
  const scrapeConfigs = [...jobs].map(([job, list]) => {
    const paths = new Set(list.map((t) => t.metricsPath ?? '/metrics'));
    if (paths.size > 1)
      throw new Error(
        `the targets of job "${job}" use different metrics paths (${[...paths].join(', ')}); give each path its own job`,
      );
    return {
      job_name: job,
      metrics_path: [...paths][0],
      static_configs: list.map((t) => ({
        targets: [t.target],
        ...(t.labels ? { labels: t.labels } : {}),
      })),
    };
  });
  return stringify({
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: scrapeConfigs,
  });
}

/** Runs "$@" and stops it when process $1 (our Node process) is gone or when told to stop. */
const WATCHDOG = [
  'parent=$1; shift',
  '"$@" & child=$!',
  "trap 'kill -TERM $child 2>/dev/null' TERM INT",
  'while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done',
  'kill -TERM $child 2>/dev/null',
  'wait $child',
].join('\n');

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Writes the configuration into dataDir, starts Prometheus on 127.0.0.1:port and resolves once
 * /-/ready answers. Fails at once when the port is taken, and with Prometheus's log when it exits.
 */
export async function startStackPrometheus(
  options: StackPrometheusOptions,
): Promise<StackPrometheus> {
  const interval = options.scrapeInterval ?? '1s';
  const port: number = options.port === 0 ? await freePort(LOOPBACK) : (options.port ?? 9090);
  // something already listening (a system Prometheus) would answer our readiness checks
  if (await portInUse(port, LOOPBACK)) {
    throw new Error(
      `cannot start Prometheus on ${LOOPBACK}:${port}: the port is in use (a system Prometheus from the Debian package listens on 9090; stop it or choose another port)`,
    );
  }
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const configFile = join(dataDir, 'prometheus.yml');
  await writeFile(configFile, prometheusConfig(options.targets, interval));
  const url = `http://${LOOPBACK}:${port}`;
  const child = spawn(
    'sh',
    [
      '-c',
      WATCHDOG,
      'prometheus-watchdog',
      String(process.pid),
      options.binary,
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dataDir, 'tsdb')}`,
      `--storage.tsdb.retention.time=${options.retention ?? '6h'}`,
      `--web.listen-address=${LOOPBACK}:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-10_000);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const killOnExit = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        // The watchdog leads its own process group: SIGKILL to the group takes Prometheus along.
        const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    })();
    return stopping;
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(
        `prometheus (${options.binary}) exited before it was ready on ${url}:\n${log}`,
      );
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `prometheus was not ready on ${url} within ${options.readyTimeoutMs ?? 30_000} ms:\n${log}`,
      );
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return { url, port, configFile, stop };
}
