/**
 * Which query templates name a counter, so that its buckets are read from the counter's raw samples
 * (core/metrics/counters.ts) instead of being evaluated as written. Pure and workflow-safe.
 *
 * A count template (requests, errors, latencySum, latencyCount) is a counter when it is
 * - a plain selector, `metric{label="value",…}`, optionally times a number (`… * 1000` for a
 *   histogram in seconds) — the form every preset uses; or
 * - `sum(increase(<selector>[{{bucket}}]))`, optionally times a number — the form templates were
 *   written in before; it means the same events, so it is read the same exact way.
 * Anything else (`rate`, `sum by`, recording rules, arithmetic of several series) is evaluated as
 * written at step = bucket: its numbers are whatever the expression says, extrapolation included.
 */
import type { QueryName } from './promql.js';

/** A counter read at bucket boundaries: its selector and a factor applied to the counts. */
export interface CounterForm {
  /** `metric{…}`, as in the template (placeholders not yet substituted). */
  selector: string;
  /** 1, or the number the template multiplies by (1000 for seconds → milliseconds). */
  scale: number;
}

/** The queries that count events; only these may be read as counters. */
export const COUNT_QUERY_NAMES: readonly QueryName[] = [
  'requests',
  'errors',
  'latencySum',
  'latencyCount',
];

// A label value in double quotes; the values we substitute never hold `"`, `\` or newlines.
const QUOTED = String.raw`"[^"\\\n\r]*"`;
const MATCHER = String.raw`\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*${QUOTED}\s*`;
const SELECTOR = String.raw`[a-zA-Z_:][a-zA-Z0-9_:]*\s*(?:\{(?:${MATCHER}(?:,${MATCHER})*,?)?\})?`;
const SCALE = String.raw`(?:\s*\*\s*([0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?))?`;
const BARE_RE = new RegExp(String.raw`^\s*(${SELECTOR})${SCALE}\s*$`);
const SUM_INCREASE_RE = new RegExp(
  String.raw`^\s*sum\s*\(\s*increase\s*\(\s*(${SELECTOR})\s*\[\s*\{\{\s*bucket\s*\}\}\s*\]\s*\)\s*\)${SCALE}\s*$`,
);
/** PromQL words that the selector pattern would take for a metric name. */
const KEYWORDS = new Set(['sum', 'min', 'max', 'avg', 'count', 'bool', 'by', 'without', 'on']);

/** The counter a count template names, or undefined when it is an expression to evaluate as written. */
export function counterForm(name: QueryName, template: string): CounterForm | undefined {
  if (!COUNT_QUERY_NAMES.includes(name)) return undefined;
  const match = BARE_RE.exec(template) ?? SUM_INCREASE_RE.exec(template);
  if (!match) return undefined;
  const selector = (match[1] as string).trim();
  const metric = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(selector)?.[0] ?? '';
  if (KEYWORDS.has(metric)) return undefined;
  const scale = match[2] === undefined ? 1 : Number(match[2]);
  if (!(scale > 0) || !Number.isFinite(scale)) return undefined;
  return { selector, scale };
}
