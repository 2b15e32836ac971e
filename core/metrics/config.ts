/**
 * Metrics configuration in a release spec: which of the operator's metrics sources to query (or,
 * where the operator allows it, an ad-hoc address), which default query set to use (with its
 * label names), and custom query templates. A spec never chooses credentials: they belong to the
 * operator's sources (worker/engine-config.ts), and an ad-hoc address never receives any.
 * Everything here is validated at submission; template problems are reported with field paths.
 */
import { z } from 'zod';
import { dnsName, durationString as duration } from '../fields.js';
import {
  LABEL_NAME_RE,
  METRIC_NAME_RE,
  QUERY_NAMES,
  REQUIRED_QUERY_NAMES,
  templateProblems,
  type QueryName,
} from './promql.js';

const labelName = z
  .string()
  .regex(
    LABEL_NAME_RE,
    'must be a Prometheus label name (letters, digits and "_", not starting with a digit or "__")',
  );
const metricName = z
  .string()
  .regex(
    METRIC_NAME_RE,
    'must be a Prometheus metric name (letters, digits, "_" and ":", not starting with a digit)',
  );
/** Label names for the `istio` preset. */
export const istioSettingsSchema = z.strictObject({
  /** Which proxy's report to count; "destination" sees every request the workload served. */
  reporter: z.enum(['destination', 'source']).default('destination'),
  /** Label that holds the Kubernetes Service name (or use "destination_workload" for Deployment names). */
  serviceLabel: labelName.default('destination_service_name'),
  /** Label that holds the version (from the pods' `version` label). */
  versionLabel: labelName.default('destination_version'),
});
export type IstioSettings = z.output<typeof istioSettingsSchema>;

/** Metric and label names for the `prom-client` preset. */
export const promClientSettingsSchema = z.strictObject({
  /** Request counter with a status-code label. */
  requestsMetric: metricName.default('http_requests_total'),
  /** Request-duration histogram's base name (`_sum`, `_count` and `_bucket` are appended). */
  durationMetric: metricName.default('http_request_duration_seconds'),
  /** Unit the histogram observes; seconds are converted to milliseconds in the query. */
  durationUnit: z.enum(['seconds', 'milliseconds']).default('seconds'),
  statusLabel: labelName.default('code'),
  namespaceLabel: labelName.default('namespace'),
  serviceLabel: labelName.default('service'),
  versionLabel: labelName.default('version'),
});
export type PromClientSettings = z.output<typeof promClientSettingsSchema>;

/** Ingress names for the `nginx` preset. */
export const nginxSettingsSchema = z.strictObject({
  /** The main (stable) Ingress; default the service's name. */
  ingress: dnsName.optional(),
  /**
   * Only for controllers that label canary requests with the canary Ingress's own name. By default
   * the canary arm is the main Ingress's requests with a non-empty `canary` label (ingress-nginx).
   */
  canaryIngress: dnsName.optional(),
});
export type NginxSettings = z.output<typeof nginxSettingsSchema>;

const template = z.string().max(10_000);
/** Query templates: all four required ones for preset "custom", or single overrides for a preset. */
export const queryTemplatesSchema = z.strictObject({
  requests: template.optional(),
  errors: template.optional(),
  latencySum: template.optional(),
  latencyCount: template.optional(),
  latencyQuantile: template.optional(),
});

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'must be an HTTP header name');
const headerValue = z
  .string()
  .max(1024)
  .regex(/^[\t\x20-\x7e]*$/, 'must be printable ASCII on one line');

const specObject = z.strictObject({
  provider: z.literal('prometheus').default('prometheus'),
  /**
   * The operator's metrics source to query (worker/engine-config.ts); default "default", which is
   * CANARY_PROMETHEUS_URL unless the operator's config names one.
   */
  source: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a metrics source name (a DNS label)')
    .optional(),
  /**
   * An ad-hoc Prometheus base URL instead of a source: refused unless it matches a pattern the
   * operator allows, and never sent credentials.
   */
  address: z.string().url().optional(),
  /** Default query set. */
  preset: z.enum(['istio', 'prom-client', 'nginx', 'custom']).default('istio'),
  istio: istioSettingsSchema.optional(),
  promClient: promClientSettingsSchema.optional(),
  nginx: nginxSettingsSchema.optional(),
  /** Templates with {{namespace}}, {{service}}, {{version}}, {{bucket}}, {{arm}} (and {{quantile}}). */
  queries: queryTemplatesSchema.optional(),
  /** Also fetch this latency quantile per bucket (e.g. 0.99), from the duration histogram. */
  latencyQuantile: z
    .number()
    .gt(0, 'must be between 0 and 1')
    .lt(1, 'must be between 0 and 1')
    .optional(),
  /** Extra request headers, e.g. `X-Scope-OrgID` for a Mimir tenant; never credentials (a source's headers win). */
  headers: z.record(headerName, headerValue).optional(),
  /** Time limit for one query (also sent to Prometheus as its `timeout`). */
  timeout: duration.default('10s'),
});
type SpecObject = z.output<typeof specObject>;

/** One problem in the metrics part of a spec; the path is relative to `analysis.metrics`. */
export interface MetricsSpecProblem {
  path: (string | number)[];
  message: string;
}

const PRESET_SETTINGS = { istio: 'istio', promClient: 'prom-client', nginx: 'nginx' } as const;

/**
 * Problems that need several fields at once: templates (unknown variables, empty queries, missing
 * {{bucket}}/{{version}}), templates the preset needs, settings for another preset, a source and
 * an address at once, an address with credentials in it, and secrets put inline into headers.
 */
export function metricsSpecProblems(spec: SpecObject): MetricsSpecProblem[] {
  const problems: MetricsSpecProblem[] = [];
  const queries = spec.queries ?? {};
  for (const name of QUERY_NAMES) {
    const text = queries[name];
    if (text !== undefined)
      problems.push(
        ...templateProblems(name, text).map((message) => ({ path: ['queries', name], message })),
      );
  }
  if (spec.preset === 'custom') {
    const needed: QueryName[] = [...REQUIRED_QUERY_NAMES];
    if (spec.latencyQuantile !== undefined) needed.push('latencyQuantile');
    for (const name of needed) {
      if (queries[name] === undefined)
        problems.push({
          path: ['queries', name],
          message: `query template '${name}' is required with preset "custom"`,
        });
    }
  }
  if (queries.latencyQuantile !== undefined && spec.latencyQuantile === undefined) {
    problems.push({
      path: ['latencyQuantile'],
      message: 'must be set when queries.latencyQuantile is given (it fills {{quantile}})',
    });
  }
  for (const [key, preset] of Object.entries(PRESET_SETTINGS) as [
    keyof typeof PRESET_SETTINGS,
    string,
  ][]) {
    if (spec[key] !== undefined && spec.preset !== preset) {
      problems.push({
        path: [key],
        message: `only used with preset "${preset}" (preset is "${spec.preset}")`,
      });
    }
  }
  if (spec.address !== undefined) problems.push(...addressProblems(spec.address));
  if (spec.address !== undefined && spec.source !== undefined)
    problems.push({
      path: ['source'],
      message: 'cannot be combined with address: name either a metrics source or an ad-hoc address',
    });
  for (const name of Object.keys(spec.headers ?? {})) {
    if (['authorization', 'proxy-authorization', 'cookie'].includes(name.toLowerCase())) {
      problems.push({
        path: ['headers', name],
        message:
          'must not carry credentials (they would be stored in workflow history); credentials belong to a metrics source the operator configures',
      });
    }
  }
  return problems;
}

function addressProblems(address: string): Array<{ path: string[]; message: string }> {
  const problems: Array<{ path: string[]; message: string }> = [];
  if (!/^https?:\/\//i.test(address))
    problems.push({ path: ['address'], message: 'must be an http:// or https:// URL' });
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(address)) {
    problems.push({
      path: ['address'],
      message:
        'must not contain credentials (they would be stored in workflow history, and an ad-hoc address is never sent any)',
    });
  }
  if (/[?#]/.test(address))
    problems.push({ path: ['address'], message: 'must not have a query string or fragment' });
  return problems;
}

export const metricsSpecSchema = specObject.superRefine((spec, ctx) => {
  for (const problem of metricsSpecProblems(spec)) {
    ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  }
});
export type MetricsSpec = z.output<typeof metricsSpecSchema>;
