/**
 * What the judge benchmarks share on the command line: `--flag value` parsing with one-line usage
 * errors (exit 2, no stack trace), the --config flag, and the Markdown table they print.
 */
import { problemLines, problemsFromZod } from '../../core/problems.js';
import { judgeConfigSchema, type JudgeConfigInput } from '../../core/judge/config.js';

/** A command-line mistake: printed as one line with the usage hint, exit code 2, no stack trace. */
export class UsageError extends Error {}

/**
 * Reads `--flag value` pairs, handing each value to its flag's handler (which throws UsageError
 * when it is bad). 'help' for --help or -h; unknown flags and missing values are UsageErrors.
 */
export function parseFlags(
  argv: readonly string[],
  handlers: Record<string, (value: string) => void>,
): 'help' | 'ok' {
  const flags = Object.keys(handlers);
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] as string;
    if (flag === '--help' || flag === '-h') return 'help';
    const handle = handlers[flag];
    if (!handle)
      throw new UsageError(`unknown flag ${flag} (expected ${flags.join(', ')} or --help)`);
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    handle(value);
  }
  return 'ok';
}

/** A whole number ≥ min, or a UsageError naming the flag. */
export function wholeNumber(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} must be a whole number ≥ ${min}, got "${value}"`);
  return n;
}

/** --config: overrides of the judge's configuration as JSON, checked against its schema. */
export function judgeConfigFlag(value: string): JudgeConfigInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError(`--config must be JSON, got ${JSON.stringify(value)}`);
  }
  const checked = judgeConfigSchema.safeParse(parsed);
  if (!checked.success)
    throw new UsageError(`--config: ${problemLines(problemsFromZod(checked.error)).join('; ')}`);
  return parsed as JudgeConfigInput;
}

/**
 * Parses the arguments with `parse` and runs `main` with the options; prints `usage` for --help,
 * and a UsageError as `<name>: <message>; see --help` with exit code 2.
 */
export function runCli<T>(
  name: string,
  usage: string,
  parse: (argv: readonly string[]) => T | 'help',
  main: (options: T) => void,
): void {
  let parsed: T | 'help';
  try {
    parsed = parse(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${name}: ${error.message}; see --help`);
    process.exit(2);
  }
  if (parsed === 'help') {
    console.log(usage);
    return;
  }
  main(parsed);
}

/** A Markdown table: the first `leftColumns` columns left-aligned, the others right-aligned. */
export function printTable(header: string[], rows: string[][], leftColumns = 1): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const left = (i: number) => i < leftColumns;
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (left(i) ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  console.log(line(header));
  console.log(
    `|${widths.map((w, i) => (left(i) ? `-${'-'.repeat(w)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  );
  for (const row of rows) console.log(line(row));
}
