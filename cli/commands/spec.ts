/**
 * `canary spec -f release.json`: validates a release spec offline, exactly as the API would, and
 * prints it with every default filled in (a CI lint step; also the input for driving a release
 * with `temporal workflow start` alone). Problems go to stderr with their field paths; exit 2.
 */
import type { Command } from 'commander';
import { validateReleaseSpec } from '../../core/spec.js';
import { UsageError } from '../lib/context.js';
import { EXIT } from '../lib/output.js';
import { assembleSpec } from '../lib/spec-input.js';

export function registerSpecCommand(program: Command): Command {
  return program
    .command('spec')
    .description('Validate a release spec offline and print it with every default filled in')
    .requiredOption('-f, --file <path>', 'the release spec (JSON or YAML); "-" reads stdin')
    .option('--release-id <id>', 'set spec.releaseId (default: <service>-<canaryVersion>)')
    .action(async (options: { file: string; releaseId?: string }) => {
      try {
        const input = await assembleSpec({ file: options.file, ...(options.releaseId ? { releaseId: options.releaseId } : {}) });
        const result = validateReleaseSpec(input);
        if (!result.ok) {
          for (const problem of result.problems) process.stderr.write(`canary spec: ${problem.path}: ${problem.message}\n`);
          process.exitCode = EXIT.error;
          return;
        }
        process.stdout.write(`${JSON.stringify(result.spec, null, 2)}\n`);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        process.stderr.write(`canary spec: ${error.message}\n`);
        process.exitCode = EXIT.error;
      }
    });
}
