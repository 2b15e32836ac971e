/**
 * What this engine accepts, as its operator configured it: whether the local sandbox's providers
 * exist (only in the local stack), which named metrics sources there are, which ad-hoc
 * Prometheus addresses a spec may name, and which notification sinks a spec may subscribe to. The API checks a spec against it at submission (a 400
 * naming the field) and the worker builds its providers from the same operator config, so a spec
 * cannot make the engine call an address the operator did not choose. Pure and workflow-safe.
 */
import { formatDuration, parseDuration } from './duration.js';
import type { SpecProblem } from './problems.js';

export interface EngineCapabilities {
  /** The sandbox router and workloads exist (the local stack runs in sandbox mode). */
  sandbox: boolean;
  /** Names of the operator's metrics sources; a spec's `analysis.metrics.source` must be one. */
  metricsSources: readonly string[];
  /** Whole-address patterns a spec's `analysis.metrics.address` must match; none: no ad-hoc address. */
  adHocMetricsAddresses: readonly RegExp[];
  /**
   * Scrape interval (ms) of the series behind each metrics source, where the operator declared it:
   * a spec's `analysis.bucket` must be at least MIN_SCRAPES_PER_BUCKET of them. Sources without one
   * are checked at pre-flight, against what Prometheus says (activities/metrics/scrape-interval.ts).
   */
  metricsScrapeIntervalsMs?: Readonly<Record<string, number>>;
  /** Names of the operator's notification sinks; a spec's `notifications[i].sink` must be one. */
  notificationSinks: readonly string[];
}

/**
 * A bucket must hold at least this many scrape intervals, so that every series has a sample in
 * every bucket even when a scrape fails, and the arms' scrape phases differ by at most half a
 * bucket (docs/metrics.md, "Bucket and scrape interval").
 */
export const MIN_SCRAPES_PER_BUCKET = 2;

/** The metrics source of a spec that names none. */
export const DEFAULT_METRICS_SOURCE = 'default';

/** An engine outside the sandbox with only the default metrics source: what an API assumes unless told. */
export const CLUSTER_CAPABILITIES: EngineCapabilities = {
  sandbox: false,
  metricsSources: [DEFAULT_METRICS_SOURCE],
  adHocMetricsAddresses: [],
  notificationSinks: [],
};

/** Compiles an operator's ad-hoc address pattern so that it must match the whole address. */
export function wholeAddressPattern(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

/** True when `address` is an ad-hoc metrics address the operator allows. */
export function adHocAddressAllowed(caps: EngineCapabilities, address: string): boolean {
  return caps.adHocMetricsAddresses.some((pattern) => pattern.test(address));
}

/** The parts of a parsed spec the capabilities judge. */
export interface CapabilityChoice {
  router?: { type: string };
  workloads?: { type: string };
  /** Absent when the spec did not parse: its metrics are judged once it does. */
  analysis?: { bucket?: string; metrics: { source?: string; address?: string } };
  notifications?: readonly { sink: string }[];
}

/** Problems of a spec this engine cannot run as configured, at the field that asks for it. */
export function capabilityProblems(
  spec: CapabilityChoice,
  caps: EngineCapabilities,
): SpecProblem[] {
  const problems: SpecProblem[] = [];
  if (!caps.sandbox) {
    for (const family of ['router', 'workloads'] as const) {
      if (spec[family]?.type === 'sandbox')
        problems.push({
          path: `${family}.type`,
          message:
            'is "sandbox", but this engine does not run in sandbox mode: the sandbox exists only in the local stack (npm start)',
        });
    }
  }
  spec.notifications?.forEach(({ sink }, i) => {
    if (!caps.notificationSinks.includes(sink))
      problems.push({
        path: `notifications[${i}].sink`,
        message: `"${sink}" is not a notification sink of this engine (it has: ${caps.notificationSinks.join(', ') || 'none'})`,
      });
  });
  if (!spec.analysis) return problems;
  const { source, address } = spec.analysis.metrics;
  if (address !== undefined && !adHocAddressAllowed(caps, address)) {
    problems.push({
      path: 'analysis.metrics.address',
      message:
        caps.adHocMetricsAddresses.length === 0
          ? 'is not allowed: this engine queries only the metrics sources its operator configured; name one in analysis.metrics.source'
          : "does not match any ad-hoc address pattern this engine's operator allows; name a metrics source in analysis.metrics.source",
    });
  }
  if (address === undefined) {
    const name = source ?? DEFAULT_METRICS_SOURCE;
    if (!caps.metricsSources.includes(name))
      problems.push({
        path: 'analysis.metrics.source',
        message: `"${name}" is not a metrics source of this engine (it has: ${caps.metricsSources.join(', ') || 'none'})`,
      });
    const scrapeMs = Object.hasOwn(caps.metricsScrapeIntervalsMs ?? {}, name)
      ? caps.metricsScrapeIntervalsMs?.[name]
      : undefined;
    const bucketMs = parseDuration(spec.analysis.bucket ?? '');
    if (
      scrapeMs !== undefined &&
      bucketMs !== undefined &&
      bucketMs < MIN_SCRAPES_PER_BUCKET * scrapeMs
    )
      problems.push({
        path: 'analysis.bucket',
        message: `must be at least ${MIN_SCRAPES_PER_BUCKET} × the scrape interval of metrics source "${name}" (${formatDuration(scrapeMs)}), i.e. ${formatDuration(MIN_SCRAPES_PER_BUCKET * scrapeMs)} or more: every series needs at least ${MIN_SCRAPES_PER_BUCKET} scrapes in each bucket`,
      });
  }
  return problems;
}
