/**
 * Default queries for Istio: the standard metrics every sidecar (or waypoint) reports, as seen by
 * the destination workload. The service is selected by its Kubernetes Service name and the arm by
 * the version label, so the stable and canary Deployments can have any names.
 */
import type { Arm } from '../../types.js';
import { istioSettingsSchema, type IstioSettings } from '../config.js';
import { selector, type Matcher, type QueryTemplates } from '../promql.js';

/** Defaults used when a spec has no `istio` settings: the schema's own defaults. */
export const ISTIO_DEFAULTS: IstioSettings = istioSettingsSchema.parse({});

/** Istio's query templates for one arm (the arm is told apart by `{{version}}`). */
export function istioTemplates(settings: IstioSettings, _arm: Arm): QueryTemplates {
  const base: Matcher[] = [
    ['reporter', '=', settings.reporter],
    ['destination_workload_namespace', '=', '{{namespace}}'],
    [settings.serviceLabel, '=', '{{service}}'],
    [settings.versionLabel, '=', '{{version}}'],
  ];
  const errors: Matcher[] = [...base, ['response_code', '=~', '5..']];
  const duration = 'istio_request_duration_milliseconds';
  return {
    requests: selector('istio_requests_total', base),
    errors: selector('istio_requests_total', errors),
    latencySum: selector(`${duration}_sum`, base),
    latencyCount: selector(`${duration}_count`, base),
    latencyQuantile: `histogram_quantile({{quantile}}, sum by (le) (increase(${selector(`${duration}_bucket`, base)}[{{bucket}}])))`,
  };
}
