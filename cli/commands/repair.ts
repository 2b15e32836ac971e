/**
 * `canary repair <namespace>/<service> [--reason ...]`: puts a service back in order after its
 * release ended Failed, was terminated or timed out (which blocks its next release). Prints what
 * the repair did and exits 0 once repaired, 1 when the repair failed (the service stays blocked),
 * 2 on a bad argument or when the API refuses (nothing to repair, a release running).
 */
import type { Command } from 'commander';
import { DNS_LABEL_RE } from '../../core/names.js';
import type { RepairAccepted } from '../../api/repair-schemas.js';
import type { ReleaseStatusResponse } from '../../api/schemas.js';
import { runCommand, UsageError, type CommandContext } from '../lib/context.js';
import { EXIT } from '../lib/output.js';

/** The `<namespace>/<service>` argument, checked before it goes into a URL. */
export function serviceArg(text: string): { namespace: string; service: string } {
  const [namespace, service, ...rest] = text.split('/');
  if (
    rest.length > 0 ||
    namespace === undefined ||
    service === undefined ||
    !DNS_LABEL_RE.test(namespace) ||
    !DNS_LABEL_RE.test(service)
  )
    throw new UsageError(
      `<namespace/service>: "${text}" is not <namespace>/<service> (two DNS labels, e.g. shop/checkout)`,
    );
  return { namespace, service };
}

const POLL_MS = 2000;

/** Polls the release until the repair's own run has ended (202: it was still running). */
async function awaitRepair(
  ctx: CommandContext,
  accepted: RepairAccepted,
): Promise<ReleaseStatusResponse> {
  if (!ctx.json) ctx.output.err(`canary: repair of release ${accepted.id} is running; waiting`);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const status = await ctx.client.get<ReleaseStatusResponse>(accepted.links.self);
    // until visibility has the repair's run, the release reads as the run it repairs
    if (status.runId === accepted.runId && !status.running) return status;
  }
}

export function registerRepairCommand(program: Command): void {
  program
    .command('repair')
    .description(
      'Repair a service after its release ended Failed or was terminated: stable restored if promotion changed it, all traffic to stable, canary scaled down',
    )
    .argument('<namespace/service>', 'the service, e.g. shop/checkout')
    .option('--reason <text>', "why (recorded in the release's status with the repair)")
    .action(async (target: string, flags: { reason?: string }, command: Command) =>
      runCommand(command, async (ctx) => {
        const { namespace, service } = serviceArg(target);
        const { status: code, body } = await ctx.client.post<
          ReleaseStatusResponse | RepairAccepted
        >(
          `/v1/services/${namespace}/${service}/repair`,
          flags.reason !== undefined ? { reason: flags.reason } : {},
        );
        const status =
          code === 202
            ? await awaitRepair(ctx, body as RepairAccepted)
            : (body as ReleaseStatusResponse);
        const repaired = status.phase === 'Repaired';
        if (ctx.json) ctx.output.out(JSON.stringify(status, null, 2));
        else if (repaired) {
          ctx.output.out(`repaired ${namespace}/${service} (release ${status.id})`);
          for (const done of status.repair?.done ?? []) ctx.output.out(`  ${done}`);
          ctx.output.out(`  outcome  ${status.outcome ?? ''}`);
        } else
          ctx.output.err(`canary: ${status.outcome ?? `repair of release ${status.id} failed`}`);
        return repaired ? EXIT.ok : EXIT.releaseFailed;
      }),
    );
}
