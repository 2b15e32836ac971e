/**
 * Default queries for applications instrumented with prom-client's conventional HTTP metrics: a
 * request counter with a status-code label and a request-duration histogram, both labelled with
 * the service, namespace and version. Metric and label names are configurable; durations in
 * seconds are converted to milliseconds in the query.
 */
import type { Arm } from '../../types.js';
import { promClientSettingsSchema, type PromClientSettings } from '../config.js';
import { selector, type Matcher, type QueryTemplates } from '../promql.js';

/** Defaults used when a spec has no `promClient` settings: the schema's own defaults. */
export const PROM_CLIENT_DEFAULTS: PromClientSettings = promClientSettingsSchema.parse({});

/** prom-client's query templates for one arm (the arm is told apart by `{{version}}`). */
export function promClientTemplates(settings: PromClientSettings, _arm: Arm): QueryTemplates {
  const base: Matcher[] = [
    [settings.namespaceLabel, '=', '{{namespace}}'],
    [settings.serviceLabel, '=', '{{service}}'],
    [settings.versionLabel, '=', '{{version}}'],
  ];
  const errors: Matcher[] = [...base, [settings.statusLabel, '=~', '5..']];
  const toMs = settings.durationUnit === 'seconds' ? ' * 1000' : '';
  const duration = settings.durationMetric;
  return {
    requests: selector(settings.requestsMetric, base),
    errors: selector(settings.requestsMetric, errors),
    latencySum: `${selector(`${duration}_sum`, base)}${toMs}`,
    latencyCount: selector(`${duration}_count`, base),
    latencyQuantile: `histogram_quantile({{quantile}}, sum by (le) (increase(${selector(`${duration}_bucket`, base)}[{{bucket}}])))${toMs}`,
  };
}
