/**
 * What the release page's charts draw, as plain data (no DOM, so it is unit-tested alone): per
 * judged metric, the canary's and the baseline's per-bucket values from the series endpoint, the
 * look markers with each look's decision and the cumulative means the judge compared at it (from
 * the status's decisions), and the step boundaries from the timeline's weight changes. Without
 * per-bucket series the lines are the per-look numbers themselves.
 */
import type { Decision } from '../../../core/judge/decision.js';
import type { ReleaseStatusResponse } from '../../schemas.js';
import type { ReleaseSeries } from '../../ui-schemas.js';

type Metric = ReleaseSeries['judged'][number];

export interface LookMarker {
  /** Index in status.decisions. */
  decision: number;
  /** The end of the look's data (its window end), epoch seconds. */
  t: number;
  step: number;
  look: number;
  verdict: string;
  /** The means the judge compared at this look (null: the record has none for this metric). */
  canary: number | null;
  baseline: number | null;
}

export interface MetricChart {
  metric: Metric;
  /** 'buckets': per-bucket lines from the metrics source; 'looks': the per-look means only. */
  source: 'buckets' | 'looks';
  /** x in epoch seconds (uPlot's unit), sorted; y values aligned with it. */
  x: number[];
  canary: (number | null)[];
  baseline: (number | null)[];
  /** The look markers' canary values at their x (null elsewhere), drawn as points. */
  lookValues: (number | null)[];
  looks: LookMarker[];
}

export interface StepBoundary {
  t: number;
  weight: number;
}

const seconds = (iso: string): number => Date.parse(iso) / 1000;

/** Look markers of one metric, from the decisions in the status. */
export function lookMarkers(status: ReleaseStatusResponse, metric: Metric): LookMarker[] {
  return status.decisions.map((d, i) => {
    const record = (d.decision as Decision).metrics?.find((m) => m.metric === metric);
    return {
      decision: i,
      t: seconds(d.windowEnd),
      step: d.step,
      look: d.look,
      verdict: d.decision.verdict,
      canary: record?.canary.mean ?? null,
      baseline: record?.baseline.mean ?? null,
    };
  });
}

/** The metrics to chart: those the judge compares, else those the decisions recorded. */
export function chartedMetrics(
  status: ReleaseStatusResponse,
  series: ReleaseSeries | null,
): Metric[] {
  if (series) return series.judged;
  const seen = new Set<Metric>();
  for (const d of status.decisions)
    for (const m of (d.decision as Decision).metrics ?? []) seen.add(m.metric);
  return [...seen];
}

/** One chart's data: bucket lines (when there are series) merged on x with the look markers. */
export function metricChart(
  status: ReleaseStatusResponse,
  series: ReleaseSeries | null,
  metric: Metric,
): MetricChart {
  const looks = lookMarkers(status, metric);
  const buckets = series?.series ?? null;
  const points = new Map<
    number,
    { canary: number | null; baseline: number | null; look: number | null }
  >();
  const at = (t: number) => {
    let p = points.get(t);
    if (!p) points.set(t, (p = { canary: null, baseline: null, look: null }));
    return p;
  };
  if (buckets) {
    buckets.timestamps.forEach((ms, i) => {
      const p = at(ms / 1000);
      p.canary = buckets.canary[metric][i] ?? null;
      p.baseline = buckets.baseline[metric][i] ?? null;
    });
  }
  for (const look of looks) {
    const p = at(look.t);
    p.look = look.canary;
    if (!buckets) {
      p.canary = look.canary;
      p.baseline = look.baseline;
    }
  }
  const x = [...points.keys()].sort((a, b) => a - b);
  return {
    metric,
    source: buckets ? 'buckets' : 'looks',
    x,
    canary: x.map((t) => points.get(t)?.canary ?? null),
    baseline: x.map((t) => points.get(t)?.baseline ?? null),
    lookValues: x.map((t) => points.get(t)?.look ?? null),
    looks,
  };
}

/** Where the weight changed (the step boundaries), from the timeline. */
export function stepBoundaries(status: ReleaseStatusResponse): StepBoundary[] {
  return status.timeline
    .filter((e) => e.type === 'weight' && typeof e.weight === 'number')
    .map((e) => ({ t: seconds(e.at), weight: e.weight as number }));
}

/** The canary's weight over time: 0 at the start, each change, held until the end (or now). */
export function weightSeries(
  status: ReleaseStatusResponse,
  nowMs: number,
): { x: number[]; weight: number[] } {
  const x = [seconds(status.startedAt)];
  const weight = [0];
  for (const b of stepBoundaries(status)) {
    x.push(b.t);
    weight.push(b.weight);
  }
  const end = status.finishedAt ? seconds(status.finishedAt) : nowMs / 1000;
  if (end > (x[x.length - 1] ?? 0)) {
    x.push(end);
    weight.push(weight[weight.length - 1] ?? 0);
  }
  return { x, weight };
}
