/**
 * The decision record of one analysis look: the verdict and every number behind it.
 * Stored in workflow history and returned by the API so "why did it roll back?" has an answer.
 * Everything here is plain JSON: numbers that are undefined for a look (a mean with no data, a
 * p-value no test produced) are null, never NaN or Infinity.
 */
import type { Verdict } from '../types.js';
import type { BoundaryMethod, SpendingFunction } from './spending.js';

/** The metrics the judge compares. All of them count as worse when they increase. */
export type MetricId = 'errorRate' | 'latencyMean' | 'latencyQuantile';

/**
 * Which test produced a metric's p-value: `welch` (two samples of per-bucket values), `paired` (t-test
 * on per-bucket canary − baseline differences), `count`; `none` when no test was possible.
 */
export type MetricTestKind = 'welch' | 'paired' | 'count' | 'none';

/** One arm's side of a metric comparison. */
export interface ArmSummary {
  /** Buckets that contributed a value (buckets with zero requests or observations are skipped). */
  buckets: number;
  /** Mean of the per-bucket values (rate as a fraction, latency in ms). */
  mean: number | null;
  /** Sample variance of the per-bucket values. */
  variance: number | null;
  /** Totals over the buckets: requests and errors (error rate) or observations (latency). */
  requests?: number;
  errors?: number;
  latencyCount?: number;
}

/** The exact conditional binomial test on error counts (see core/judge/count-test.ts). */
export interface CountTestRecord {
  canaryErrors: number;
  totalErrors: number;
  /** Canary share of all requests (null without requests). */
  canaryRequestShare: number | null;
  /** Tolerated canary/baseline rate ratio under H0 (1 + margin, see docs/judge.md); null without errors. */
  marginRatio: number | null;
  /** P(an error is the canary's) at the H0 boundary: the binomial p0; null without errors. */
  nullShare: number | null;
}

/** A minimum-data gate: the metric may not pass until every gate is met. */
export interface GateRecord {
  gate: 'minBuckets' | 'minRequests' | 'minLatencyCount' | 'minErrorEvents';
  /** Which arm the count is for; `both` for a total over the two arms. */
  arm: 'canary' | 'baseline' | 'both';
  required: number;
  observed: number;
  met: boolean;
  /** Why a gate is met without its count (the zero-errors bound of minErrorEvents). */
  note?: string;
}

export interface MetricRecord {
  metric: MetricId;
  test: MetricTestKind;
  canary: ArmSummary;
  baseline: ArmSummary;
  /** Tolerated increase in the metric's units (rate or ms); H1 is canary − baseline > margin. */
  margin: number | null;
  /** Observed canary − baseline (difference of means). */
  effect: number | null;
  /** Welch statistic and degrees of freedom (null for the count test). */
  t: number | null;
  df: number | null;
  /** One-sided p-value of "worse by more than the margin"; null when no test was possible. */
  p: number | null;
  count?: CountTestRecord;
  /** Why no ordinary test was possible (e.g. "too-few-samples", "zero-variance", "no-errors"). */
  degenerate: string | null;
  /** Holm-adjusted level this metric's p was compared with at this look. */
  alphaThreshold: number;
  significant: boolean;
  gates: GateRecord[];
  /** Every gate met. */
  sufficient: boolean;
}

/** An absolute guard on the canary alone, evaluated over its most recent buckets. */
export interface GuardRecord {
  guard: 'errorRateCeiling' | 'latencyCeiling';
  limit: number;
  /** Observed value over the guard's window; null when the window had no data. */
  observed: number | null;
  /** Canary buckets (latest first) in the window and their requests/observations. */
  buckets: number;
  volume: number;
  /** Whether the window reached guards.minRequests; a guard only trips with enough volume. */
  enoughVolume: boolean;
  tripped: boolean;
}

/** How alpha was spent at this look (see core/judge/spending.ts). */
export interface AlphaRecord {
  /** The release-wide false-rollback rate. */
  total: number;
  spending: SpendingFunction;
  /** How the look's alpha became nominal levels: exact group-sequential boundary or union bound. */
  boundaries: BoundaryMethod;
  /** Alpha this look may spend, before Holm divides it among the metrics. */
  look: number;
  /** Alpha spent by all looks up to and including this one. */
  spentThrough: number;
  /** Nominal level at this look of one metric holding all of alpha (Holm's levels are per metric). */
  nominal: number;
}

export interface Decision {
  verdict: Verdict;
  /** One line for people: "error rate 2.1% vs 1.0% baseline, p = 0.0004 < 0.0017: roll back". */
  explanation: string;
  /** What decided: a guard, a data gate, or a metric test (e.g. "guard:errorRateCeiling", "gate:minBuckets", "metric:errorRate"). */
  decidedBy: string;
  look: number;
  plannedLooks: number;
  /** Present on every decision made by the judge; absent on records built elsewhere. */
  alpha?: AlphaRecord;
  metrics?: MetricRecord[];
  guards?: GuardRecord[];
  /** Further details from other producers of decisions. */
  [detail: string]: unknown;
}

/** A decision made by `judge()`: all details present. */
export interface JudgeDecision extends Decision {
  alpha: AlphaRecord;
  metrics: MetricRecord[];
  guards: GuardRecord[];
}
