/**
 * The PromQL a release runs: the preset's templates, any per-query overrides from the spec, and
 * the release's values substituted in. One function, used by the provider to query and by the API
 * and docs to show people exactly what will be asked; `armQueryPlan` also says which queries are
 * counters read at bucket boundaries (core/metrics/counter-form.ts). Pure and workflow-safe.
 */
import type { Arm } from '../types.js';
import type { MetricsSpec } from './config.js';
import { counterForm } from './counter-form.js';
import { renderTemplate, type QueryName, type QueryTemplates } from './promql.js';
import { customTemplates } from './queries/custom.js';
import { istioTemplates, ISTIO_DEFAULTS } from './queries/istio.js';
import { nginxTemplates } from './queries/nginx.js';
import { promClientTemplates, PROM_CLIENT_DEFAULTS } from './queries/prom-client.js';

/** Who the queries are for (the fields of a MetricsTarget that reach PromQL). */
export interface QueryTarget {
  namespace: string;
  service: string;
  stableVersion: string;
  canaryVersion: string;
}

/** Rendered PromQL for one arm, by query name; latencyQuantile only when the spec asks for it. */
export type RenderedQueries = Partial<Record<QueryName, string>> &
  Pick<Record<QueryName, string>, 'requests' | 'errors' | 'latencySum' | 'latencyCount'>;

type PresetSpec = Pick<
  MetricsSpec,
  'preset' | 'istio' | 'promClient' | 'nginx' | 'queries' | 'latencyQuantile'
>;

function presetTemplates(spec: PresetSpec, arm: Arm): QueryTemplates {
  const preset = spec.preset;
  switch (preset) {
    case 'istio':
      return istioTemplates(spec.istio ?? ISTIO_DEFAULTS, arm);
    case 'prom-client':
      return promClientTemplates(spec.promClient ?? PROM_CLIENT_DEFAULTS, arm);
    case 'nginx':
      return nginxTemplates(spec.nginx ?? {}, arm);
    case 'custom':
      return customTemplates(spec.queries, arm);
    default: {
      const unknown: never = preset;
      throw new Error(`unknown metrics preset "${String(unknown)}"`);
    }
  }
}

/** The templates one arm uses: the preset's, with the spec's overrides on top. */
export function armTemplates(spec: PresetSpec, arm: Arm): QueryTemplates {
  const templates: QueryTemplates = { ...presetTemplates(spec, arm) };
  for (const [name, text] of Object.entries(spec.queries ?? {}) as [
    QueryName,
    string | undefined,
  ][]) {
    if (text !== undefined) templates[name] = text;
  }
  if (spec.latencyQuantile === undefined) delete templates.latencyQuantile;
  return templates;
}

/**
 * The PromQL for one arm of a release with buckets of `bucketMs`. Throws PromqlRenderError when a
 * value would not be safe inside a query (a validated spec never does).
 */
export function renderArmQueries(
  spec: PresetSpec,
  target: QueryTarget,
  arm: Arm,
  bucketMs: number,
): RenderedQueries {
  const values = templateValues(spec, target, arm, bucketMs);
  const rendered: Partial<Record<QueryName, string>> = {};
  for (const [name, text] of Object.entries(armTemplates(spec, arm)) as [QueryName, string][]) {
    rendered[name] = renderTemplate(text, values);
  }
  return rendered as RenderedQueries;
}

/** How one query is asked: a counter's raw samples, or an expression evaluated at step = bucket. */
export type ArmQuery =
  { kind: 'counter'; selector: string; scale: number } | { kind: 'expression'; query: string };

/** One arm's queries as the provider asks them (see renderArmQueries for what is shown to people). */
export type ArmQueryPlan = Partial<Record<QueryName, ArmQuery>> &
  Pick<Record<QueryName, ArmQuery>, 'requests' | 'errors' | 'latencySum' | 'latencyCount'>;

/** The queries of one arm, each as a counter (selector rendered) or an expression (rendered). */
export function armQueryPlan(
  spec: PresetSpec,
  target: QueryTarget,
  arm: Arm,
  bucketMs: number,
): ArmQueryPlan {
  const values = templateValues(spec, target, arm, bucketMs);
  const plan: Partial<Record<QueryName, ArmQuery>> = {};
  for (const [name, text] of Object.entries(armTemplates(spec, arm)) as [QueryName, string][]) {
    const counter = counterForm(name, text);
    plan[name] = counter
      ? {
          kind: 'counter',
          selector: renderTemplate(counter.selector, values),
          scale: counter.scale,
        }
      : { kind: 'expression', query: renderTemplate(text, values) };
  }
  return plan as ArmQueryPlan;
}

function templateValues(spec: PresetSpec, target: QueryTarget, arm: Arm, bucketMs: number) {
  return {
    namespace: target.namespace,
    service: target.service,
    version: arm === 'canary' ? target.canaryVersion : target.stableVersion,
    bucketMs,
    arm,
    quantile: spec.latencyQuantile,
  };
}
