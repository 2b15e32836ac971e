/**
 * `canary spec -f release.json`: validates a release spec offline, exactly as the API would, and
 * prints it with every default filled in (a CI lint step; also the input for driving a release
 * with `temporal workflow start` alone). Problems go to stderr with their field paths; exit 2.
 */
import type { Command } from 'commander';
import { problemLines } from '../../core/problems.js';
import { validateReleaseSpec } from '../../core/spec.js';
import { UsageError } from '../lib/context.js';
import { EXIT } from '../lib/output.js';
import { assembleSpec } from '../lib/spec-input.js';
import { processOutput, type CommandOutput } from './judge.js';

/**
 * Validates an assembled spec with validateReleaseSpec — the validator the API's POST /v1/releases
 * uses, so both report the same problems — and prints the spec or one line per problem. Returns
 * the exit code.
 */
export function specCommand(
  input: Record<string, unknown>,
  out: CommandOutput = processOutput,
): number {
  const result = validateReleaseSpec(input);
  if (!result.ok) {
    for (const line of problemLines(result.problems)) out.stderr(`canary spec: ${line}`);
    return EXIT.error;
  }
  out.stdout(JSON.stringify(result.spec, null, 2));
  return EXIT.ok;
}

export function registerSpecCommand(program: Command): Command {
  return program
    .command('spec')
    .description(
      'Validate a release spec offline and print it with every default filled in (the engine-specific checks — sandbox mode, metrics sources, ad-hoc metrics addresses — are made by the API)',
    )
    .requiredOption('-f, --file <path>', 'the release spec (JSON or YAML); "-" reads stdin')
    .option('--release-id <id>', 'set spec.releaseId (default: <service>-<canaryVersion>)')
    .action(async (options: { file: string; releaseId?: string }) => {
      try {
        const input = await assembleSpec({
          file: options.file,
          ...(options.releaseId ? { releaseId: options.releaseId } : {}),
        });
        process.exitCode = specCommand(input);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        process.stderr.write(`canary spec: ${error.message}\n`);
        process.exitCode = EXIT.error;
      }
    });
}
