/**
 * The `canary` command line: the API commands for CI and people (start, status, list, approve,
 * abort, pause, resume, promote, repair) and the judge's offline tools (judge, stats). `bin/canary.mjs`
 * runs `main`; tests build the program with `buildProgram`.
 *
 * Exit codes: 0 success (with --wait/--watch: promoted); 1 the release rolled back or failed (or
 * a repair failed); 2 usage errors, an unreachable API, or a request the API refused (a start
 * refused because the service is blocked until `canary repair` among them).
 */
import { Command, CommanderError } from 'commander';
import { registerActionCommands } from './commands/actions.js';
import { registerJudgeCommand } from './commands/judge.js';
import { registerReleaseCommands } from './commands/releases.js';
import { registerRepairCommand } from './commands/repair.js';
import { registerSpecCommand } from './commands/spec.js';
import { registerStatsCommand } from './commands/stats.js';
import { DEFAULT_API_URL } from './lib/api-client.js';
import { EXIT } from './lib/output.js';

export function buildProgram(): Command {
  const program = new Command('canary')
    .description('Progressive delivery on Temporal: start, follow and steer canary releases')
    .version('0.1.0')
    .option('--api <url>', `the canary API (default $CANARY_API_URL, else ${DEFAULT_API_URL})`)
    .option('--token <token>', 'API token (default $CANARY_API_TOKEN)')
    .option('--json', 'machine-readable output (with --wait/--watch: one JSON event per line)')
    .showHelpAfterError()
    .exitOverride();
  registerReleaseCommands(program);
  registerActionCommands(program);
  registerRepairCommand(program);
  registerSpecCommand(program);
  registerJudgeCommand(program);
  registerStatsCommand(program);
  return program;
}

/** Runs the CLI and returns its exit code. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit 0; every other commander error is a usage error
      return error.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    process.stderr.write(
      `canary: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return EXIT.error;
  }
  const code = Number(process.exitCode ?? 0);
  return Number.isInteger(code) ? code : EXIT.error;
}
