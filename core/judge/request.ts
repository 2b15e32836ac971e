/**
 * What the judge is asked: one look at all buckets observed so far, and its parsing at the edges.
 * `judge()` trusts its typed request; input from outside (the CLI, Prometheus' counts in the
 * activity) goes through parseJudgeRequest first, whose problems name the field
 * ("buckets.canary[3].requests: expected a number"), never a stack trace.
 */
import { z } from 'zod';
import { EngineError } from '../errors.js';
import type { BucketCounts } from '../types.js';
import { judgeConfigSchema } from './config.js';
import { problemLines, problemsFromZod, type SpecProblem } from '../problems.js';

/** A finite, non-negative number with messages people can act on. */
const amount = () =>
  z
    .number({
      error: (issue) =>
        issue.input === undefined
          ? 'required'
          : typeof issue.input === 'number'
            ? 'expected a finite number'
            : 'expected a number',
    })
    .min(0, 'must not be negative');

export const bucketCountsSchema = z
  .strictObject({
    requests: amount(),
    errors: amount(),
    latencySumMs: amount(),
    latencyCount: amount(),
    latencyQuantileMs: amount().optional(),
  })
  .superRefine((bucket, ctx) => {
    if (bucket.errors > bucket.requests) {
      ctx.addIssue({
        code: 'custom',
        path: ['errors'],
        message: `must not exceed requests (${bucket.errors} > ${bucket.requests})`,
      });
    }
  });

const lookNumber = (what: string) =>
  z
    .number({ error: (issue) => (issue.input === undefined ? 'required' : 'expected a number') })
    .int(`${what} must be a whole number`)
    .min(1, `${what} must be at least 1`);

const bucketList = z
  .array(bucketCountsSchema, {
    error: (issue) => (issue.input === undefined ? 'required' : 'expected an array of buckets'),
  })
  .max(100_000, 'at most 100000 buckets');

export const judgeRequestSchema = z.strictObject({
  /** 1-based index of this look. May exceed plannedLooks after a hold is released. */
  look: lookNumber('look'),
  /** Upper bound on looks: steps plus allowed extensions. */
  plannedLooks: lookNumber('plannedLooks'),
  /** Aligned, non-overlapping buckets observed so far, oldest first. */
  buckets: z.strictObject(
    { canary: bucketList, baseline: bucketList },
    {
      error: (issue) =>
        issue.input === undefined ? 'required' : 'expected an object with canary and baseline',
    },
  ),
  /** Overrides of the release's judge configuration; defaults fill the rest. */
  config: judgeConfigSchema.prefault({}),
});

/** A judge request as sent (config optional and partial). */
export type JudgeRequest = z.input<typeof judgeRequestSchema>;
/** A validated judge request with the configuration filled in. */
export type ParsedJudgeRequest = z.output<typeof judgeRequestSchema>;

// The schema must accept exactly the shared bucket shape.
type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _bucketShapeMatches: Equal<z.output<typeof bucketCountsSchema>, BucketCounts> = true;

/** Invalid judge input. `issues` are "path: message" lines, e.g. "look: look must be at least 1". */
export class JudgeInputError extends EngineError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid judge request: ${issues.join('; ')}`, {
      kind: 'invalid-input',
      nonRetryable: true,
    });
    this.issues = issues;
  }
}

export type JudgeRequestParse =
  { ok: true; request: ParsedJudgeRequest } | { ok: false; problems: SpecProblem[] };

/** Validates a request from outside and fills in defaults; lists every bad field (core/problems.ts). */
export function parseJudgeRequest(input: unknown): JudgeRequestParse {
  const result = judgeRequestSchema.safeParse(input);
  return result.success
    ? { ok: true, request: result.data }
    : { ok: false, problems: problemsFromZod(result.error) };
}

/** parseJudgeRequest for callers that fail on bad input: throws JudgeInputError naming every bad field. */
export function requireJudgeRequest(input: unknown): ParsedJudgeRequest {
  const parsed = parseJudgeRequest(input);
  if (!parsed.ok) throw new JudgeInputError(problemLines(parsed.problems));
  return parsed.request;
}
