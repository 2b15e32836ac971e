/**
 * Picks the metrics provider a spec names, like the router and workloads factories. The switch is
 * exhaustive: a provider type this build does not know is a non-retryable configuration error,
 * never a silent fallback. (The sandbox has no metrics provider of its own: its Prometheus is real.)
 */
import type { MetricsSpec } from '../../core/metrics/config.js';
import { MetricsConfigError } from './errors.js';
import { DEFAULT_METRICS_SOURCE } from '../../core/capabilities.js';
import type { ReleaseSpec } from '../../core/spec.js';
import {
  FALLBACK_PROMETHEUS_ADDRESS,
  PrometheusProvider,
  type PrometheusProviderDeps,
} from './prometheus.js';
import { resolveEndpoint, type MetricsSources } from './sources.js';
import type { MetricsProvider } from './types.js';

/**
 * The provider for `analysis.metrics` of a validated spec; `deps.endpoint` (./sources.ts) says
 * where and with which credentials. Throws MetricsConfigError when it cannot be built.
 */
export function createMetricsProvider(
  spec: MetricsSpec,
  deps: PrometheusProviderDeps = {},
): MetricsProvider {
  const provider = spec.provider;
  switch (provider) {
    case 'prometheus':
      return new PrometheusProvider(spec, deps);
    default: {
      const unknown: never = provider;
      throw new MetricsConfigError(`unknown metrics provider "${String(unknown)}"`);
    }
  }
}

/**
 * The metrics provider of each release at the operator's sources: the worker's analysis
 * (worker/providers.ts) and the API's chart series (api/series.ts) ask the same source with the
 * same credentials. Default: only the "default" source at http://127.0.0.1:9090, no ad-hoc address.
 */
export function metricsProviders(
  metrics: MetricsSources = {
    sources: { [DEFAULT_METRICS_SOURCE]: { address: FALLBACK_PROMETHEUS_ADDRESS } },
    adHocAddresses: [],
  },
): (spec: ReleaseSpec) => MetricsProvider {
  return (spec) =>
    createMetricsProvider(spec.analysis.metrics, {
      endpoint: resolveEndpoint(spec.analysis.metrics, metrics),
    });
}
