/**
 * The API's Prometheus metrics, in a registry of its own (never prom-client's global one, so tests
 * and embedders can run several apps in one process). Release counters count what this API process
 * has seen: a start through it, and a terminal phase observed by a status read or an event stream —
 * each release once, each analysis decision once.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MiddlewareHandler } from 'hono';
import { routeTemplate } from '../observability/http.js';
import type { Phase, ReleaseStatus } from '../workflows/messages.js';
import { BoundedMap } from './bounded-map.js';

/** One counter per terminal phase (docs/api.md documents these names). */
const ENDINGS: Partial<Record<Phase, { name: string; help: string }>> = {
  Promoted: {
    name: 'canary_releases_promoted_total',
    help: 'Releases seen ending Promoted, by service.',
  },
  RolledBack: {
    name: 'canary_releases_rolled_back_total',
    help: 'Releases seen ending RolledBack, by service.',
  },
  Rejected: {
    name: 'canary_releases_rejected_total',
    help: 'Releases seen ending Rejected (refused by the pre-flight, nothing changed), by service.',
  },
  Failed: {
    name: 'canary_releases_failed_total',
    help: 'Releases seen ending Failed (promotion or routing reset incomplete, rollback abandoned), by service.',
  },
};

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly httpRequests = new Counter({
    name: 'canary_api_http_requests_total',
    help: 'HTTP requests by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'canary_api_http_request_duration_seconds',
    help: 'Time to the response headers, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  private readonly started = new Counter({
    name: 'canary_releases_started_total',
    help: 'Releases started through this API, by service.',
    labelNames: ['service'] as const,
    registers: [this.registry],
  });
  private readonly endings = new Map(
    Object.entries(ENDINGS).map(([phase, { name, help }]) => [
      phase,
      new Counter({ name, help, labelNames: ['service'] as const, registers: [this.registry] }),
    ]),
  );
  private readonly weight = new Gauge({
    name: 'canary_weight_percent',
    help: 'Canary traffic weight last seen, by service.',
    labelNames: ['service'] as const,
    registers: [this.registry],
  });
  private readonly verdicts = new Counter({
    name: 'canary_analysis_verdicts_total',
    help: 'Analysis verdicts seen, by verdict.',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });
  private readonly finished = new BoundedMap<string, number>(10_000);
  /** Per service, the start (epoch ms) of the newest release whose status set the weight gauge. */
  private readonly weightFrom = new BoundedMap<string, number>(10_000);
  private readonly decisionsSeen = new BoundedMap<string, number>(10_000);

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Middleware: counts and times every request by its route pattern (not its raw path). */
  httpMiddleware(): MiddlewareHandler {
    return async (c, next) => {
      const startedAt = performance.now();
      await next();
      const labels = {
        method: c.req.method,
        route: routeTemplate(c),
        status: String(c.res.status),
      };
      this.httpRequests.inc(labels);
      this.httpDuration.observe(labels, (performance.now() - startedAt) / 1000);
    };
  }

  releaseStarted(service: string): void {
    this.started.inc({ service });
  }

  /** Records what a status shows: the weight, new decisions, and the end (once per release). */
  observeStatus(status: ReleaseStatus): void {
    // startedAt survives continue-as-new, so this names the release across its runs
    const releaseKey = `${status.namespace}/${status.service}/${status.releaseId}/${status.startedAt}`;
    // the gauge shows the service's newest release: reading an older one (finished, at weight 0)
    // must not overwrite the weight of the one running now. Not "running releases only": the newest
    // release's own end (weight 0 after a rollback) must reach the gauge.
    const startedAt = Date.parse(status.startedAt);
    if (startedAt >= (this.weightFrom.get(status.service) ?? Number.NEGATIVE_INFINITY)) {
      this.weightFrom.set(status.service, startedAt);
      this.weight.set({ service: status.service }, status.weights.canary);
    }
    const counted = this.decisionsSeen.get(releaseKey) ?? 0;
    for (const record of status.decisions.slice(counted))
      this.verdicts.inc({ verdict: record.decision.verdict });
    if (status.decisions.length > counted)
      this.decisionsSeen.set(releaseKey, status.decisions.length);
    const ending = this.endings.get(status.phase);
    if (ending && this.finished.get(releaseKey) === undefined) {
      this.finished.set(releaseKey, 1);
      ending.inc({ service: status.service });
    }
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
