/**
 * Picks the metrics provider a spec names, like the router and workloads factories. The switch is
 * exhaustive: a provider type this build does not know is a non-retryable configuration error,
 * never a silent fallback. (The sandbox has no metrics provider of its own: its Prometheus is real.)
 */
import type { MetricsSpec } from '../../core/metrics/config.js';
import { MetricsConfigError } from './errors.js';
import { PrometheusProvider, type PrometheusProviderDeps } from './prometheus.js';
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
