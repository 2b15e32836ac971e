/**
 * `canary stats welch`: Welch's t-test on two samples, for checking numbers by hand or against
 * another tool. Reads {"canary": [...], "baseline": [...], "margin": 0} on stdin (margin optional)
 * and prints {"t", "df", "pTwoSided", "pGreater", "pLess"}; pGreater is the p-value of
 * "canary − baseline > margin". With --jsonl, one input per line and one result per line.
 *
 * Degenerate samples are not errors: the result is printed with null for undefined numbers and a
 * "degenerate" field ("too-few-samples", "zero-variance"), as documented in core/stats/welch.ts.
 * Malformed input exits 2 with the field named on stderr, like `canary judge`.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { problemLines, problemsFromZod } from '../../core/problems.js';
import { welch } from '../../core/stats/welch.js';
import { CliInputError, runFromStdin } from './judge.js';

const value = z.number({
  error: (issue) =>
    issue.input === undefined
      ? 'required'
      : typeof issue.input === 'number'
        ? 'expected a finite number'
        : 'expected a number',
});
const sample = z.array(value, {
  error: (issue) => (issue.input === undefined ? 'required' : 'expected an array of numbers'),
});

export const welchInputSchema = z.strictObject({
  canary: sample,
  baseline: sample,
  margin: value.default(0),
});

/** What `canary stats welch` prints for one input. */
export interface WelchOutput {
  t: number | null;
  df: number | null;
  pTwoSided: number | null;
  pGreater: number | null;
  pLess: number | null;
  degenerate?: string;
}

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** One input to one output line; throws CliInputError naming the bad field. */
export function welchCommand(input: unknown): WelchOutput {
  const parsed = welchInputSchema.safeParse(input);
  if (!parsed.success) throw new CliInputError(problemLines(problemsFromZod(parsed.error)));
  const r = welch(parsed.data.canary, parsed.data.baseline, { margin: parsed.data.margin });
  const output: WelchOutput = {
    t: orNull(r.t),
    df: orNull(r.df),
    pTwoSided: orNull(r.pTwoSided),
    pGreater: orNull(r.pGreater),
    pLess: orNull(r.pLess),
  };
  return r.degenerate ? { ...output, degenerate: r.degenerate } : output;
}

/** Registers `canary stats` and its `welch` subcommand on the program. */
export function registerStatsCommand(program: Command): Command {
  const stats = program
    .command('stats')
    .description('Statistics used by the judge, for checking numbers by hand');
  stats
    .command('welch')
    .description(
      'Welch t-test: reads {"canary": [...], "baseline": [...], "margin": 0} on stdin, prints t, df and p-values',
    )
    .option('--jsonl', 'read one input per line and print one result per line')
    .action(async (options: { jsonl?: boolean }) => {
      await runFromStdin({
        name: 'canary stats welch',
        jsonl: options.jsonl === true,
        handle: welchCommand,
      });
    });
  return stats;
}
