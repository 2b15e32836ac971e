/**
 * The `custom` preset: every query comes from the spec's templates. Validation at submission
 * (core/metrics/config.ts) makes sure the four required templates are there.
 */
import type { Arm } from '../../types.js';
import type { MetricsSpec } from '../config.js';
import { PromqlRenderError, REQUIRED_QUERY_NAMES, type QueryTemplates } from '../promql.js';

/** The spec's own templates, used alike for both arms (they tell the arms apart by `{{version}}` or `{{arm}}`). */
export function customTemplates(queries: MetricsSpec['queries'], _arm: Arm): QueryTemplates {
  const missing = REQUIRED_QUERY_NAMES.filter((name) => !queries?.[name]);
  if (missing.length > 0)
    throw new PromqlRenderError(`preset "custom" needs query templates for ${missing.join(', ')}`);
  const q = queries as Required<NonNullable<MetricsSpec['queries']>>;
  const templates: QueryTemplates = {
    requests: q.requests,
    errors: q.errors,
    latencySum: q.latencySum,
    latencyCount: q.latencyCount,
  };
  if (q.latencyQuantile) templates.latencyQuantile = q.latencyQuantile;
  return templates;
}
