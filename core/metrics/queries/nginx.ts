/**
 * Default queries for the NGINX Ingress controller (ingress-nginx). Its request metrics carry the
 * name of the Ingress that owns the location and a `canary` label: empty for requests served by
 * the main backend, the canary backend's name for requests the canary Ingress's weight (or header
 * or cookie) sent to the canary. Requests sent to the canary are still labelled with the main
 * Ingress's name, so by default the arms are told apart by the `canary` label. Setups whose
 * controller labels canary requests with the canary Ingress's own name set `canaryIngress`.
 */
import type { Arm } from '../../types.js';
import type { NginxSettings } from '../config.js';
import { selector, type Matcher, type QueryTemplates } from '../promql.js';

/** Matchers that pick one arm's requests out of the controller's metrics. */
export function nginxArmMatchers(settings: NginxSettings, arm: Arm): Matcher[] {
  const ingress = settings.ingress ?? '{{service}}';
  if (arm === 'baseline')
    return [
      ['namespace', '=', '{{namespace}}'],
      ['ingress', '=', ingress],
      ['canary', '=', ''],
    ];
  if (settings.canaryIngress !== undefined)
    return [
      ['namespace', '=', '{{namespace}}'],
      ['ingress', '=', settings.canaryIngress],
    ];
  return [
    ['namespace', '=', '{{namespace}}'],
    ['ingress', '=', ingress],
    ['canary', '!=', ''],
  ];
}

/** NGINX Ingress controller query templates for one arm. */
export function nginxTemplates(settings: NginxSettings, arm: Arm): QueryTemplates {
  const base = nginxArmMatchers(settings, arm);
  const errors: Matcher[] = [...base, ['status', '=~', '5..']];
  const duration = 'nginx_ingress_controller_request_duration_seconds';
  return {
    requests: selector('nginx_ingress_controller_requests', base),
    errors: selector('nginx_ingress_controller_requests', errors),
    latencySum: `${selector(`${duration}_sum`, base)} * 1000`,
    latencyCount: selector(`${duration}_count`, base),
    latencyQuantile: `histogram_quantile({{quantile}}, sum by (le) (increase(${selector(`${duration}_bucket`, base)}[{{bucket}}]))) * 1000`,
  };
}
