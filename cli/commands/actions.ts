/**
 * `canary approve|abort|pause|resume|promote|rollback|abandon <id>`: acting on a running release.
 * The API records the token's name as the actor; the command prints the release's state after the
 * action, or why the action does not apply now (exit 2).
 */
import type { Command } from 'commander';
import type { ReleaseStatusResponse } from '../../api/schemas.js';
import { releaseIdArg, runCommand } from '../lib/context.js';
import { EXIT } from '../lib/output.js';

const ACTIONS = [
  {
    name: 'approve',
    done: 'approved',
    description: 'Approve the pending gate (before a step, before promotion, or a hold)',
  },
  {
    name: 'pause',
    done: 'paused',
    description: 'Pause the release: the observation window stops until resume',
  },
  { name: 'resume', done: 'resumed', description: 'Resume a paused release' },
  {
    name: 'promote',
    done: 'promotion requested for',
    description: 'Skip the remaining steps and promote the canary now',
  },
  {
    name: 'abort',
    done: 'aborted',
    description:
      'Abort the release: all traffic returns to stable at once (while a failing rollback is retried: retry it now)',
  },
  {
    name: 'rollback',
    done: 'rollback requested for',
    description: 'During the bake after promotion: restore the previous stable version',
  },
  {
    name: 'abandon',
    done: 'abandoned the rollback of',
    description:
      'Stop retrying a rollback that keeps failing: the release ends Failed (then run canary repair)',
  },
] as const;

export function registerActionCommands(program: Command): void {
  for (const action of ACTIONS) {
    const command = program
      .command(action.name)
      .description(action.description)
      .argument('<id>', 'the release id');
    if (action.name === 'abort')
      command.requiredOption(
        '--reason <text>',
        'why (recorded in the release history and its outcome)',
      );
    else command.option('--comment <text>', 'recorded with the action in the release history');
    command.action(async (id: string, flags: { comment?: string; reason?: string }, cmd: Command) =>
      runCommand(cmd, async (ctx) => {
        releaseIdArg(id);
        const body =
          action.name === 'abort'
            ? { reason: flags.reason }
            : flags.comment !== undefined
              ? { comment: flags.comment }
              : {};
        const { body: status } = await ctx.client.post<ReleaseStatusResponse>(
          `/v1/releases/${id}/${action.name}`,
          body,
        );
        if (ctx.json) ctx.output.out(JSON.stringify(status, null, 2));
        else
          ctx.output.out(
            `${action.done} release ${status.id}: ${status.phase}, step ${status.step}/${status.totalSteps}, canary ${status.weights.canary}%`,
          );
        return EXIT.ok;
      }),
    );
  }
}
