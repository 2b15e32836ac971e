/**
 * `canary judge`: judge one analysis look offline. Reads a JudgeRequest as JSON on stdin
 * ({"look", "plannedLooks", "buckets": {"canary": [...], "baseline": [...]}, "config"?}) and
 * prints the decision record as JSON. With --jsonl, reads one request per line and prints one
 * decision per line (bulk evaluation, e.g. replaying recorded looks).
 *
 * Also home of the small stdin/JSON runner shared with `canary stats` (see runJsonCommand).
 *
 * Exit codes: 0 when every request was judged; 2 when input was bad — the reason goes to stderr,
 * one line per problem, naming the field ("canary judge: buckets.canary[3].requests: expected a
 * number") and, with --jsonl, the line ("canary judge: line 4: look: required"). With --jsonl a
 * bad line prints nothing on stdout, the remaining lines are still judged, and the exit code is 2
 * at the end; a consumer that needs alignment can match decisions by their `look` or pre-validate.
 * Blank lines are skipped. No stack traces: an unexpected failure prints its message and exits 1.
 */
import type { Command } from 'commander';
import { judge, parseJudgeRequest } from '../../core/judge/index.js';
import { problemLines } from '../../core/problems.js';

/** Input that could not be used, as "path: message" lines. */
export class CliInputError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(issues.join('; '));
    this.name = 'CliInputError';
    this.issues = issues;
  }
}

/** Where a command's output goes; tests and the real process supply their own. */
export interface CommandOutput {
  stdout(line: string): void;
  stderr(line: string): void;
}

export interface JsonCommand {
  /** How the command is named in messages: "canary judge". */
  name: string;
  jsonl: boolean;
  /** Turns one parsed JSON value into the result to print; throws CliInputError for bad input. */
  handle(value: unknown): unknown;
}

/** The process's stdout and stderr, one line per call. */
export const processOutput: CommandOutput = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

/** The issues of a bad input, or null when the error is not about the input. */
function inputIssues(error: unknown): readonly string[] | null {
  if (error instanceof CliInputError) return error.issues;
  return null;
}

/**
 * Run a JSON-in, JSON-out command over `input` (all of stdin). Returns the exit code:
 * 0 success, 2 bad input (after reporting every bad line), 1 unexpected failure.
 */
export function runJsonCommand(
  command: JsonCommand,
  input: string,
  out: CommandOutput = processOutput,
): number {
  const units = command.jsonl
    ? input.split('\n').map((text, i) => ({ text, where: `line ${i + 1}: ` }))
    : [{ text: input, where: '' }];
  let exitCode = 0;
  let seen = 0;
  for (const { text, where } of units) {
    if (text.trim() === '') continue;
    seen += 1;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      out.stderr(`${command.name}: ${where}not valid JSON (${(error as Error).message})`);
      exitCode = 2;
      continue;
    }
    try {
      const result = command.handle(value);
      out.stdout(command.jsonl ? JSON.stringify(result) : JSON.stringify(result, null, 2));
    } catch (error) {
      const issues = inputIssues(error);
      if (issues === null) {
        out.stderr(
          `${command.name}: ${where}unexpected failure: ${(error as Error).message ?? String(error)}`,
        );
        return 1;
      }
      for (const issue of issues) out.stderr(`${command.name}: ${where}${issue}`);
      exitCode = 2;
    }
  }
  if (seen === 0) {
    out.stderr(
      `${command.name}: expected ${command.jsonl ? 'JSON lines' : 'a JSON document'} on stdin, got nothing`,
    );
    return 2;
  }
  return exitCode;
}

/** All of stdin as text; refuses an interactive terminal, where nothing would ever arrive. */
export async function readStdin(name: string): Promise<string | null> {
  if (process.stdin.isTTY) {
    process.stderr.write(`${name}: reads JSON on stdin, e.g. ${name} < request.json\n`);
    return null;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Read stdin, run the command, and set the process exit code. */
export async function runFromStdin(command: JsonCommand): Promise<void> {
  const input = await readStdin(command.name);
  process.exitCode = input === null ? 2 : runJsonCommand(command, input);
}

/** One request to one decision: parsed at this edge, then judged; throws CliInputError naming every bad field. */
export function judgeCommand(input: unknown): unknown {
  const parsed = parseJudgeRequest(input);
  if (!parsed.ok) throw new CliInputError(problemLines(parsed.problems));
  return judge(parsed.request);
}

/** Registers `canary judge` on the program. */
export function registerJudgeCommand(program: Command): Command {
  return program
    .command('judge')
    .description(
      'Judge one analysis look: reads a judge request (JSON) on stdin and prints the decision record',
    )
    .option('--jsonl', 'read one request per line and print one decision per line')
    .action(async (options: { jsonl?: boolean }) => {
      await runFromStdin({
        name: 'canary judge',
        jsonl: options.jsonl === true,
        handle: judgeCommand,
      });
    });
}
