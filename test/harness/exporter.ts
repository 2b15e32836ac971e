/**
 * A test exporter: a /metrics endpoint (prom-client, its own Registry) that emits exactly the
 * requests, errors and latencies a test asks for, in the three shapes our presets query:
 * - Istio: istio_requests_total and the istio_request_duration_milliseconds histogram, reported
 *   by both the destination and the source proxy (so a query that forgets reporter= double counts);
 * - prom-client conventions: http_requests_total{code} and http_request_duration_seconds;
 * - ingress-nginx: nginx_ingress_controller_requests and ..._request_duration_seconds, canary
 *   requests labelled with the main Ingress's name and a non-empty `canary` label.
 * Series are created on first use, as real instrumentation does (an error series appears with the
 * first 5xx), unless a test primes them at zero.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';

/** One version of a service, as its pods are labelled. */
export interface Workload {
  namespace: string;
  service: string;
  version: string;
  /** Reached through the canary Deployment and Ingress (names `<service>-canary`). */
  canary: boolean;
}

/** What happened at one moment: `requests` requests, `errors` of them 5xx, each taking `latencyMs`. */
export interface Traffic {
  requests: number;
  errors?: number;
  latencyMs?: number;
}

export interface TestExporter {
  /** host:port to scrape. */
  target: string;
  url: string;
  /** Adds traffic to a workload's counters now. */
  record(workload: Workload, traffic: Traffic): void;
  /** Creates a workload's 200 and 500 series at zero, like a service that initialises its metrics at start-up. */
  prime(workload: Workload): void;
  stop(): Promise<void>;
}

/** The stable and canary workloads of a release. */
export function releaseWorkloads(release: {
  namespace: string;
  service: string;
  stableVersion: string;
  canaryVersion: string;
}): { baseline: Workload; canary: Workload } {
  const { namespace, service } = release;
  return {
    baseline: { namespace, service, version: release.stableVersion, canary: false },
    canary: { namespace, service, version: release.canaryVersion, canary: true },
  };
}

const MS_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

export async function startExporter(): Promise<TestExporter> {
  const registry = new Registry();
  const istioLabels = [
    'reporter',
    'destination_workload_namespace',
    'destination_workload',
    'destination_service_name',
    'destination_version',
    'response_code',
  ];
  const istioRequests = new Counter({
    name: 'istio_requests_total',
    help: 'Istio requests',
    labelNames: istioLabels,
    registers: [registry],
  });
  const istioDuration = new Histogram({
    name: 'istio_request_duration_milliseconds',
    help: 'Istio request duration',
    labelNames: istioLabels,
    buckets: MS_BUCKETS,
    registers: [registry],
  });
  const appLabels = ['namespace', 'service', 'version', 'code', 'method'];
  const appRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests',
    labelNames: appLabels,
    registers: [registry],
  });
  const appDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: appLabels,
    buckets: MS_BUCKETS.map((b) => b / 1000),
    registers: [registry],
  });
  const nginxLabels = ['namespace', 'ingress', 'service', 'status', 'canary', 'method', 'path'];
  const nginxRequests = new Counter({
    name: 'nginx_ingress_controller_requests',
    help: 'NGINX requests',
    labelNames: nginxLabels,
    registers: [registry],
  });
  const nginxDuration = new Histogram({
    name: 'nginx_ingress_controller_request_duration_seconds',
    help: 'NGINX request duration',
    labelNames: nginxLabels,
    buckets: MS_BUCKETS.map((b) => b / 1000),
    registers: [registry],
  });

  const istio = (w: Workload, reporter: string, code: string) => ({
    reporter,
    destination_workload_namespace: w.namespace,
    destination_workload: w.canary ? `${w.service}-canary` : w.service,
    destination_service_name: w.service,
    destination_version: w.version,
    response_code: code,
  });
  const app = (w: Workload, code: string) => ({
    namespace: w.namespace,
    service: w.service,
    version: w.version,
    code,
    method: 'GET',
  });
  const nginx = (w: Workload, code: string) => ({
    namespace: w.namespace,
    ingress: w.service,
    service: w.canary ? `${w.service}-canary` : w.service,
    status: code,
    canary: w.canary ? `${w.namespace}-${w.service}-canary-80` : '',
    method: 'GET',
    path: '/',
  });

  /** Adds `count` requests with one status code, each taking latencyMs. */
  const add = (w: Workload, code: string, count: number, latencyMs: number): void => {
    if (count === 0) return;
    for (const reporter of ['destination', 'source'])
      istioRequests.inc(istio(w, reporter, code), count);
    appRequests.inc(app(w, code), count);
    nginxRequests.inc(nginx(w, code), count);
    for (let i = 0; i < count; i += 1) {
      for (const reporter of ['destination', 'source'])
        istioDuration.observe(istio(w, reporter, code), latencyMs);
      appDuration.observe(app(w, code), latencyMs / 1000);
      nginxDuration.observe(nginx(w, code), latencyMs / 1000);
    }
  };

  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    target: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/metrics`,
    record(workload, traffic) {
      const errors = traffic.errors ?? 0;
      if (errors > traffic.requests)
        throw new Error(`errors ${errors} exceed requests ${traffic.requests}`);
      const latencyMs = traffic.latencyMs ?? 20;
      add(workload, '200', traffic.requests - errors, latencyMs);
      add(workload, '500', errors, latencyMs);
    },
    prime(workload) {
      for (const code of ['200', '500']) {
        for (const reporter of ['destination', 'source']) {
          istioRequests.inc(istio(workload, reporter, code), 0);
          istioDuration.zero(istio(workload, reporter, code));
        }
        appRequests.inc(app(workload, code), 0);
        appDuration.zero(app(workload, code));
        nginxRequests.inc(nginx(workload, code), 0);
        nginxDuration.zero(nginx(workload, code));
      }
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
