/**
 * Judge configuration: every field optional in a spec (`analysis.judge`), with documented
 * defaults. `judgeConfigSchema.parse({})` is the default configuration. The meaning of each knob
 * is explained in docs/judge.md; the defaults were tuned with bench/judge.ts.
 */
import { z } from 'zod';

/** Relative margin: the canary may be this fraction worse than the baseline before it counts. */
const relativeMargin = z.number().min(0).max(10);
const count = z.number().int().min(0);

export const errorRateConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Tolerated relative increase of the error rate (0.05 = +5% of the baseline's rate). */
  relativeMargin: relativeMargin.default(0.05),
  /** Absolute floor of the tolerated increase, as a rate (0.0005 = 0.05 percentage points). */
  absoluteMargin: z.number().min(0).max(1).default(0.0005),
  /**
   * Which test compares error rates: `welch` on per-bucket rates, `count` (exact conditional
   * binomial test on the error counts), or `auto`: `count` while either arm averages fewer than
   * `countTestBelowErrorsPerBucket` errors per bucket (rates are then too discrete for a t-test).
   */
  test: z.enum(['auto', 'welch', 'count']).default('auto'),
  countTestBelowErrorsPerBucket: z.number().min(0).default(10),
});

export const latencyMeanConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Tolerated relative increase of mean latency (0.02 = +2% of the baseline's mean). */
  relativeMargin: relativeMargin.default(0.02),
  /** Absolute floor of the tolerated increase, in milliseconds. */
  absoluteMarginMs: z.number().min(0).default(2),
});

export const latencyQuantileConfigSchema = z.strictObject({
  /** Compares the per-bucket `latencyQuantileMs` (e.g. p99) when the buckets carry it. */
  enabled: z.boolean().default(false),
  relativeMargin: relativeMargin.default(0.1),
  absoluteMarginMs: z.number().min(0).default(5),
});

export const gatesConfigSchema = z.strictObject({
  /** Buckets with data each arm needs, per metric, before a look may pass. */
  minBuckets: count.min(2).default(3),
  /** Requests each arm needs before the error rate may pass. */
  minRequests: count.default(200),
  /** Latency observations each arm needs before a latency metric may pass. */
  minLatencyCount: count.default(200),
  /**
   * Error events (both arms together) before the error rate may pass — unless the canary has so
   * many requests that its error rate is shown, at `zeroErrorsConfidence`, to be within the margin.
   */
  minErrorEvents: count.default(5),
  zeroErrorsConfidence: z.number().gt(0).lt(1).default(0.95),
});

export const guardsConfigSchema = z.strictObject({
  /** Fail at once when the canary's recent error rate exceeds this (null: no ceiling). */
  maxErrorRate: z.number().gt(0).max(1).nullable().default(0.1),
  /** Fail at once when the canary's recent mean latency exceeds this, in ms (null: no ceiling). */
  maxLatencyMs: z.number().gt(0).nullable().default(null),
  /** "Recent" = the latest canary buckets that together hold at least this many requests. */
  minRequests: count.min(1).default(100),
});

export const judgeConfigSchema = z
  .strictObject({
    /** Family-wise false-rollback rate for the whole release (across metrics and looks). */
    alpha: z.number().gt(0).lt(0.5).default(0.01),
    /**
     * How alpha is spread over the planned looks (see core/judge/spending.ts): `pocock`
     * (Lan–DeMets Pocock-type, ln(1 + (e − 1)·t), front-loaded), `linear` (t), `obrien-fleming`
     * (Lan–DeMets O'Brien–Fleming-type, back-loaded) or `hsd` (Hwang–Shih–DeCani, `spendingGamma`).
     */
    spending: z.enum(['pocock', 'linear', 'obrien-fleming', 'hsd']).default('hsd'),
    /** γ of the Hwang–Shih–DeCani family: 1 ≈ Pocock-type, −4 ≈ O'Brien–Fleming-type. */
    spendingGamma: z.number().min(-40).max(40).default(-2),
    /**
     * How a look's alpha becomes the level its p-values are compared with: `group-sequential`
     * (exact boundaries for correlated looks) or `union` (the look's alpha itself, conservative).
     */
    boundaries: z.enum(['group-sequential', 'union']).default('group-sequential'),
    /**
     * The group-sequential boundaries assume the information at look k is (k/K)^p of the final
     * one. p = 1 is exact for looks that add equal information; p = 2 (default) also covers looks
     * whose information grows up to linearly, as when canary steps ramp traffic (docs/judge.md).
     */
    informationExponent: z.number().min(1).max(4).default(2),
    /**
     * Compare per-bucket metrics (latency, error rates at volume) with a paired t-test on the
     * differences of aligned buckets, which cancels what hits both arms in the same minute. Arms
     * with different numbers of buckets are never paired (Welch's test is used instead).
     */
    pairedBuckets: z.boolean().default(true),
    /** Share of alpha kept for looks beyond `plannedLooks` (after a hold is released). */
    extraLooksShare: z.number().gt(0).max(0.5).default(0.05),
    errorRate: errorRateConfigSchema.prefault({}),
    latencyMean: latencyMeanConfigSchema.prefault({}),
    latencyQuantile: latencyQuantileConfigSchema.prefault({}),
    gates: gatesConfigSchema.prefault({}),
    guards: guardsConfigSchema.prefault({}),
  })
  .refine((c) => c.errorRate.enabled || c.latencyMean.enabled || c.latencyQuantile.enabled, {
    message: 'at least one metric (errorRate, latencyMean, latencyQuantile) must be enabled',
  });

/** The judge configuration with every default filled in. */
export type JudgeConfig = z.infer<typeof judgeConfigSchema>;
/** The judge configuration as written in a spec or request: every field optional. */
export type JudgeConfigInput = z.input<typeof judgeConfigSchema>;
