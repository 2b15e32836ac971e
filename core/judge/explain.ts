/**
 * One-line explanations of a decision, for people: what decided, with the numbers behind it.
 * e.g. "error rate 2.1% vs 1.0% baseline (margin +0.10 pp), p = 0.0004 < 0.0017: roll back".
 */
import type { GateRecord, GuardRecord, MetricRecord } from './decision.js';
import { METRIC_LABELS } from './metrics.js';

/** A rate as a percentage with two significant digits: 0.0213 → "2.1%", 0.00052 → "0.052%". */
export function formatPercent(rate: number | null): string {
  if (rate === null) return 'n/a';
  const pct = rate * 100;
  if (pct === 0) return '0%';
  return `${pct >= 1 ? pct.toFixed(1) : Number(pct.toPrecision(2)).toString()}%`;
}

/** Milliseconds with one decimal: 112.345 → "112.3 ms". */
export function formatMs(ms: number | null): string {
  return ms === null ? 'n/a' : `${ms.toFixed(1)} ms`;
}

/** A probability with two significant digits, in exponent form below 1e-4: "0.0017", "3.2e-7". */
export function formatProbability(p: number | null): string {
  if (p === null) return 'n/a';
  if (p === 0) return '0';
  if (p < 1e-4) return p.toExponential(1);
  return Number(p.toPrecision(2)).toString();
}

function formatValue(metric: MetricRecord, value: number | null): string {
  return metric.metric === 'errorRate' ? formatPercent(value) : formatMs(value);
}

function formatMargin(metric: MetricRecord): string {
  if (metric.margin === null) return 'n/a';
  if (metric.metric !== 'errorRate') return `+${metric.margin.toFixed(1)} ms`;
  return `+${Number((metric.margin * 100).toPrecision(2)).toString()} pp`;
}

/** "error rate 2.1% vs 1.0% baseline (margin +0.1 pp), p = 0.0004" — the comparison of one metric. */
export function describeMetric(metric: MetricRecord): string {
  const label = METRIC_LABELS[metric.metric];
  let values = `${formatValue(metric, metric.canary.mean)} vs ${formatValue(metric, metric.baseline.mean)} baseline`;
  if (metric.test === 'count' && metric.count) {
    const c = metric.canary;
    const b = metric.baseline;
    const formatCount = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
    const rate = (errors = 0, requests = 0) => (requests > 0 ? errors / requests : null);
    // Prometheus's increase() extrapolates, so counts are rarely whole numbers: show them rounded
    values =
      `${formatCount(c.errors ?? 0)}/${formatCount(c.requests ?? 0)} = ${formatPercent(rate(c.errors, c.requests))} vs ` +
      `${formatCount(b.errors ?? 0)}/${formatCount(b.requests ?? 0)} = ${formatPercent(rate(b.errors, b.requests))} baseline`;
  }
  const p =
    metric.p === null
      ? `no test (${metric.degenerate ?? 'no data'})`
      : `p = ${formatProbability(metric.p)}`;
  return `${label} ${values} (margin ${formatMargin(metric)}), ${p}`;
}

/** The failing comparison: "... p = 0.0004 < 0.0017: roll back". */
export function explainMetricFailure(metric: MetricRecord): string {
  const relation = metric.p !== null && metric.p < metric.alphaThreshold ? '<' : '≤';
  return `${describeMetric(metric)} ${relation} ${formatProbability(metric.alphaThreshold)}: roll back`;
}

export function explainGuard(guard: GuardRecord): string {
  const window = `over the canary's last ${guard.buckets} bucket${guard.buckets === 1 ? '' : 's'}`;
  if (guard.guard === 'errorRateCeiling') {
    return `canary error rate ${formatPercent(guard.observed)} ${window} (${guard.volume} requests) exceeds the ${formatPercent(guard.limit)} ceiling: roll back`;
  }
  return `canary mean latency ${formatMs(guard.observed)} ${window} (${guard.volume} observations) exceeds the ${formatMs(guard.limit)} ceiling: roll back`;
}

const GATE_WORDS: Record<GateRecord['gate'], string> = {
  minBuckets: 'buckets',
  minRequests: 'requests',
  minLatencyCount: 'latency observations',
  minErrorEvents: 'error events',
};

/** "not enough data for error rate: canary has 120 requests (needs 200): inconclusive". */
export function explainGate(metric: MetricRecord, gate: GateRecord): string {
  const who = gate.arm === 'both' ? 'canary and baseline together have' : `${gate.arm} has`;
  const observed = Number.isInteger(gate.observed)
    ? gate.observed
    : Number(gate.observed.toFixed(1));
  return `not enough data for ${METRIC_LABELS[metric.metric]}: ${who} ${observed} ${GATE_WORDS[gate.gate]} (needs ${gate.required}): inconclusive`;
}

/** "no metric significantly worse: error rate ... p = 0.62 ≥ 0.0008; mean latency ...: pass". */
export function explainPass(metrics: readonly MetricRecord[]): string {
  const parts = metrics.map((m) => {
    if (m.p === null) return describeMetric(m);
    // Holm stops at the first non-rejection, so a later p may sit below its own level.
    const level =
      m.p >= m.alphaThreshold
        ? ` ≥ ${formatProbability(m.alphaThreshold)}`
        : ` (level ${formatProbability(m.alphaThreshold)} not reached: Holm stopped at a smaller p)`;
    return `${describeMetric(m)}${level}`;
  });
  return `no metric significantly worse: ${parts.join('; ')}: pass`;
}
