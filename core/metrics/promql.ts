/**
 * PromQL building blocks: the rules for names and values that may be placed into a query, bucket
 * durations, selectors, and query templates with named variables. Pure and workflow-safe.
 *
 * Safety rule: nothing reaches a query unless it matches a strict pattern. Label values come from
 * the release (namespace, service, versions) and must be DNS labels or Kubernetes label values,
 * which cannot contain `"`, `{`, `}`, `\`, spaces or newlines — so a spec cannot close a matcher
 * and inject PromQL of its own. Metric and label names from preset settings must be Prometheus
 * names. Violations throw PromqlRenderError; spec validation reports them earlier as problems.
 */
import { EngineError } from '../errors.js';
import type { Arm } from '../types.js';
import { DNS_LABEL_RE, LABEL_VALUE_RE } from '../names.js';
import { counterForm } from './counter-form.js';

/** A Prometheus label name. Names starting with `__` are reserved and not accepted here. */
export const LABEL_NAME_RE = /^(?!__)[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;
/** A Prometheus metric name. */
export const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]{0,199}$/;

/** Thrown when a name or value would not be safe or valid inside PromQL. */
export class PromqlRenderError extends EngineError {
  constructor(message: string) {
    super(message, { kind: 'config', nonRetryable: true });
  }
}

const DURATION_UNITS: readonly [string, number][] = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/**
 * A bucket length as a PromQL range duration, in the largest unit that divides it exactly:
 * 60000 → "1m", 90000 → "90s", 1500 → "1500ms".
 */
export function promDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0)
    throw new PromqlRenderError(
      `bucket length ${ms} ms must be a positive whole number of milliseconds`,
    );
  for (const [unit, size] of DURATION_UNITS) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** One label matcher: name, operator and value (a value for `=`/`!=`, a regex for `=~`/`!~`). */
export type Matcher = readonly [name: string, op: '=' | '!=' | '=~' | '!~', value: string];

/**
 * `metric{a="b",c=~"5.."}`. Names must be Prometheus names; values are placed verbatim between
 * double quotes, so they must not contain `"`, `\` or newlines (template placeholders such as
 * `{{version}}` are allowed: they are substituted with checked values later).
 */
export function selector(metric: string, matchers: readonly Matcher[]): string {
  if (!METRIC_NAME_RE.test(metric))
    throw new PromqlRenderError(`"${metric}" is not a Prometheus metric name`);
  const parts = matchers.map(([name, op, value]) => {
    if (!LABEL_NAME_RE.test(name))
      throw new PromqlRenderError(`"${name}" is not a Prometheus label name`);
    if (/["\\\n\r]/.test(value))
      throw new PromqlRenderError(
        `matcher value for ${name} must not contain quotes, backslashes or newlines`,
      );
    return `${name}${op}"${value}"`;
  });
  return `${metric}{${parts.join(',')}}`;
}

/** The variables a query template may use, as `{{name}}` (spaces inside the braces allowed). */
export const TEMPLATE_VARIABLES = [
  'namespace',
  'service',
  'version',
  'bucket',
  'arm',
  'quantile',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/** The queries that make up one arm's buckets. */
export const QUERY_NAMES = [
  'requests',
  'errors',
  'latencySum',
  'latencyCount',
  'latencyQuantile',
] as const;
export type QueryName = (typeof QUERY_NAMES)[number];
/** The four queries every preset and every custom set must have. */
export const REQUIRED_QUERY_NAMES = ['requests', 'errors', 'latencySum', 'latencyCount'] as const;

/** Query templates for one arm; latencyQuantile only when a quantile is asked for. */
export type QueryTemplates = Record<(typeof REQUIRED_QUERY_NAMES)[number], string> & {
  latencyQuantile?: string;
};

const PLACEHOLDER_RE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const MAX_TEMPLATE_LENGTH = 10_000;

function isTemplateVariable(name: string): name is TemplateVariable {
  return (TEMPLATE_VARIABLES as readonly string[]).includes(name);
}

/**
 * What is wrong with a user-written query template, as messages (empty when it is fine). A count
 * template that names a counter (core/metrics/counter-form.ts) is read at bucket boundaries and
 * needs no range; any other template must use `{{bucket}}` as its range (or buckets would overlap
 * or leave gaps). Every template uses `{{version}}` or `{{arm}}` (or both arms would run the same
 * query and always look alike); `{{quantile}}` belongs to the latencyQuantile template only.
 */
export function templateProblems(name: QueryName, template: string): string[] {
  if (template.trim() === '') return [`query template '${name}' is empty`];
  if (template.length > MAX_TEMPLATE_LENGTH)
    return [`query template '${name}' is longer than ${MAX_TEMPLATE_LENGTH} characters`];
  const problems: string[] = [];
  const used = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER_RE)) {
    const variable = match[1] ?? '';
    used.add(variable);
    if (!isTemplateVariable(variable)) {
      problems.push(
        `query template '${name}' uses unknown variable {{${variable}}}; known: ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`,
      );
    } else if (variable === 'quantile' && name !== 'latencyQuantile') {
      problems.push(
        `query template '${name}' uses {{quantile}}, which only the latencyQuantile template may use`,
      );
    }
  }
  const rest = template.replace(PLACEHOLDER_RE, '');
  if (rest.includes('{{') || rest.includes('}}')) {
    problems.push(`query template '${name}' has an unmatched "{{" or "}}"`);
  }
  if (!used.has('bucket') && counterForm(name, template) === undefined)
    problems.push(
      name === 'latencyQuantile'
        ? `query template '${name}' must use {{bucket}} as its range, e.g. increase(x_bucket[{{bucket}}])`
        : `query template '${name}' must be a counter's selector (e.g. x_total{version="{{version}}"}, read exactly at bucket boundaries) or use {{bucket}} as its range`,
    );
  if (!used.has('version') && !used.has('arm')) {
    problems.push(
      `query template '${name}' must use {{version}} or {{arm}}, or the canary and baseline queries would be the same`,
    );
  }
  return problems;
}

/** Values for one arm's templates. Every value is checked before it is substituted. */
export interface TemplateValues {
  namespace: string;
  service: string;
  version: string;
  bucketMs: number;
  arm: Arm;
  /** For the latencyQuantile template, e.g. 0.99. */
  quantile?: number;
}

function checkedValues(values: TemplateValues): Record<TemplateVariable, string | undefined> {
  if (!DNS_LABEL_RE.test(values.namespace))
    throw new PromqlRenderError(`namespace "${values.namespace}" is not a DNS-1123 label`);
  if (!DNS_LABEL_RE.test(values.service))
    throw new PromqlRenderError(`service "${values.service}" is not a DNS-1123 label`);
  if (!LABEL_VALUE_RE.test(values.version))
    throw new PromqlRenderError(`version "${values.version}" is not a Kubernetes label value`);
  if (values.arm !== 'canary' && values.arm !== 'baseline')
    throw new PromqlRenderError(`arm "${String(values.arm)}" must be canary or baseline`);
  const q = values.quantile;
  if (q !== undefined && !(typeof q === 'number' && q > 0 && q < 1))
    throw new PromqlRenderError(`quantile ${q} must be a number between 0 and 1`);
  return {
    namespace: values.namespace,
    service: values.service,
    version: values.version,
    bucket: promDuration(values.bucketMs),
    arm: values.arm,
    quantile: q === undefined ? undefined : String(q),
  };
}

/** Substitutes `{{variable}}` placeholders with checked values. Unknown variables throw. */
export function renderTemplate(template: string, values: TemplateValues): string {
  const vars = checkedValues(values);
  return template.replace(PLACEHOLDER_RE, (_whole, name: string) => {
    if (!isTemplateVariable(name))
      throw new PromqlRenderError(`unknown template variable {{${name}}}`);
    const value = vars[name];
    if (value === undefined)
      throw new PromqlRenderError(`template variable {{${name}}} has no value here`);
    return value;
  });
}
