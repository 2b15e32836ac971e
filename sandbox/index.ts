/**
 * The local sandbox: a complete release loop without Kubernetes. startSandbox() runs, in this
 * process and on loopback ports, the four demo versions, the router in front of them (stable v1 at
 * first) and steady generated traffic through the router. A Prometheus from
 * startStackPrometheus() scrapes the returned targets, and a release whose router is
 * `{ type: 'sandbox', url }` is driven through sandboxProviders(). See docs/sandbox.md.
 */
import { startDemoVersion, type DemoVersionServer } from './demo-service.js';
import type { ScrapeTarget } from './prometheus.js';
import { DEFAULT_ROUTER_PORT, startRouterServer, type RouterServer } from './router-server.js';
import { startTraffic, type TrafficGenerator, type TrafficOptions } from './traffic.js';
import { DEMO_VERSION_NAMES, DEMO_VERSIONS, INITIAL_STABLE, type DemoVersion } from './versions.js';

export {
  DEMO_VERSIONS,
  DEMO_VERSION_NAMES,
  INITIAL_STABLE,
  type DemoBehaviour,
  type DemoVersion,
} from './versions.js';
export {
  startStackPrometheus,
  prometheusConfig,
  type ScrapeTarget,
  type StackPrometheus,
  type StackPrometheusOptions,
} from './prometheus.js';
export { sandboxProviders, type SandboxProviderOptions } from './providers.js';
export { SandboxRouter } from './sandbox-router.js';
export {
  SandboxWorkloads,
  type SandboxRelease,
  type SandboxStableSnapshot,
} from './sandbox-workloads.js';
export { SandboxRequestError, SandboxUnreachableError, SandboxWorkloadError } from './errors.js';
export {
  startTraffic,
  DEFAULT_RATE_PER_SECOND,
  type TrafficGenerator,
  type TrafficOptions,
  type TrafficStats,
} from './traffic.js';
export { DEFAULT_ROUTER_PORT } from './router-server.js';
export type { RouterState } from './router-state.js';

/** Port of demo v1 by default; v2, v3 and v4 follow (8091–8094). */
export const DEFAULT_DEMO_BASE_PORT = 8091;

export interface SandboxOptions {
  /** Port of the router and its control API. Default 8089; 0 for a free port. */
  routerPort?: number;
  /** Address the router and demo versions bind; default 127.0.0.1 (docker-compose uses 0.0.0.0). */
  host?: string;
  /**
   * Port of demo v1; the other versions take the next ports in table order. 0 gives every version
   * a free port. Default 8091, or 0 when routerPort is 0.
   */
  demoBasePort?: number;
  /** `namespace` label of the demo metrics; releases must use the same. Default "sandbox". */
  namespace?: string;
  /** `service` label of the demo metrics; releases must use the same. Default "demo". */
  service?: string;
  /** Generated traffic through the router (default 80 req/s for at most 2 h), or false for none. */
  traffic?: false | Omit<TrafficOptions, 'url'>;
  /** Uniform random numbers in [0, 1) for errors, jitter and the weighted split; default Math.random. */
  random?: () => number;
}

export interface Sandbox {
  /** The router: demo traffic at /, the control API at /control (the sandbox router spec's url). */
  routerUrl: string;
  /** Everything Prometheus should scrape: the four demo versions and the router's own metrics. */
  scrapeTargets: ScrapeTarget[];
  /** Each demo version, reachable directly (bypassing the router). */
  demo: Record<DemoVersion, DemoVersionServer>;
  router: RouterServer;
  /** The traffic generator, or null when started without traffic. */
  traffic: TrafficGenerator | null;
  namespace: string;
  service: string;
  /** Stops the traffic, then the router, then the demo versions. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the demo versions, the router (stable v1) and the traffic, in that order; resolves once
 * all listen. On failure, whatever started is stopped again before the error is thrown.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const namespace = options.namespace ?? 'sandbox';
  const service = options.service ?? 'demo';
  const routerPort = options.routerPort ?? DEFAULT_ROUTER_PORT;
  const basePort = options.demoBasePort ?? (routerPort === 0 ? 0 : DEFAULT_DEMO_BASE_PORT);
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const part of started.splice(0).reverse()) await part.stop();
  };

  try {
    const demo = {} as Record<DemoVersion, DemoVersionServer>;
    for (const [i, version] of DEMO_VERSION_NAMES.entries()) {
      const server = await startDemoVersion({
        version,
        behaviour: DEMO_VERSIONS[version],
        namespace,
        service,
        port: basePort === 0 ? 0 : basePort + i,
        ...(options.host ? { host: options.host } : {}),
        random: options.random,
      });
      started.push(server);
      demo[version] = server;
    }
    const router = await startRouterServer({
      port: routerPort,
      upstreams: Object.fromEntries(DEMO_VERSION_NAMES.map((v) => [v, demo[v].port])),
      initialStable: INITIAL_STABLE,
      ...(options.host ? { host: options.host } : {}),
      random: options.random,
    });
    started.push(router);
    const traffic =
      options.traffic === false ? null : startTraffic({ ...options.traffic, url: router.url });
    if (traffic) started.push(traffic);

    const scrapeTargets: ScrapeTarget[] = [
      ...DEMO_VERSION_NAMES.map((v) => ({ job: 'sandbox-demo', target: demo[v].target })),
      { job: 'sandbox-router', target: router.metricsTarget, metricsPath: '/control/metrics' },
    ];
    let stopping: Promise<void> | undefined;
    return {
      routerUrl: router.url,
      scrapeTargets,
      demo,
      router,
      traffic,
      namespace,
      service,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
