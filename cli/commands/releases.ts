/**
 * `canary start`, `canary status` and `canary list`: starting a release from CI and following it.
 * `canary start -f release.json --wait` is a whole pipeline step: it prints one line per step and
 * decision and exits 0 when the release is promoted, 1 when it rolls back, is rejected or fails,
 * 2 when the release could not be started or followed.
 */
import type { Command } from 'commander';
import type { ReleaseCreated, ReleaseStatusResponse, ReleaseSummary } from '../../api/schemas.js';
import { ApiError } from '../lib/api-client.js';
import { releaseIdArg, runCommand, UsageError, type CommandContext } from '../lib/context.js';
import { followRelease } from '../lib/events.js';
import { eventLine, EXIT, exitCodeOfVerdict, statusLines, table } from '../lib/output.js';
import { assembleSpec, type SpecFlags } from '../lib/spec-input.js';

/** Follows the release to its verdict, printing each event; returns the exit code of the verdict. */
async function follow(
  ctx: CommandContext,
  releaseId: string,
  justStarted = false,
): Promise<number> {
  const verdict = await followRelease(ctx.client, releaseId, {
    // another API instance may not see a release started a moment ago yet
    notFoundGraceMs: justStarted ? 15_000 : 0,
    onEvent: (event) => {
      if (ctx.json) {
        ctx.output.out(JSON.stringify(event));
        return;
      }
      const line = eventLine(event);
      if (line !== undefined) ctx.output.out(line);
    },
    onReconnect: (attempt, reason) =>
      ctx.output.err(`canary: event stream interrupted (${reason}); reconnecting (${attempt})`),
  });
  return exitCodeOfVerdict(verdict.verdict);
}

export function registerReleaseCommands(program: Command): void {
  program
    .command('start')
    .description('Start a canary release from a release spec (JSON or YAML)')
    .option('-f, --file <path>', 'the release spec; "-" reads it from stdin')
    .option('--service <name>', 'set spec.service')
    .option('--namespace <name>', 'set spec.namespace')
    .option('--stable <version>', 'set spec.stableVersion')
    .option('--canary <version>', 'set spec.canaryVersion')
    .option(
      '--image <container=image>',
      'the engine deploys the canary with this image for the container (repeatable): sets workloads.canary.images; canaryVersion defaults to the tag',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--release-id <id>',
      'set spec.releaseId (e.g. your CI run id: a retried start is then safe)',
    )
    .option(
      '--wait',
      'follow the release: exit 0 when promoted, 1 when rolled back, rejected or failed',
    )
    .action(async (flags: SpecFlags & { wait?: boolean }, command: Command) =>
      runCommand(command, async (ctx) => {
        const spec = await assembleSpec(flags);
        let releaseId: string;
        try {
          const { status, body } = await ctx.client.post<ReleaseCreated>('/v1/releases', spec);
          releaseId = body.id;
          if (ctx.json) {
            ctx.output.out(JSON.stringify(flags.wait ? { event: 'started', data: body } : body));
          } else {
            ctx.output.out(`${status === 201 ? 'started' : 'already running:'} release ${body.id}`);
            ctx.output.out(`  status    ${ctx.client.apiUrl}${body.links.self}`);
            ctx.output.out(`  temporal  ${body.links.temporalUi}`);
          }
        } catch (error) {
          // a retried CI job whose release already ended: report that release's verdict again
          const ended =
            error instanceof ApiError &&
            error.kind === 'release-ended' &&
            typeof error.problem.releaseId === 'string';
          if (!flags.wait || !ended) throw error;
          releaseId = String((error as ApiError).problem.releaseId);
          ctx.output.err(`canary: ${(error as ApiError).message}; reporting its verdict`);
        }
        return flags.wait ? follow(ctx, releaseId, true) : EXIT.ok;
      }),
    );

  program
    .command('status')
    .description('Show a release: phase, step, weights, gate, decisions with explanations, actions')
    .argument('<id>', 'the release id')
    .option(
      '--watch',
      'follow the release until it ends: exit 0 when promoted, 1 when rolled back, rejected or failed',
    )
    .action(async (id: string, flags: { watch?: boolean }, command: Command) =>
      runCommand(command, async (ctx) => {
        releaseIdArg(id);
        if (flags.watch) return follow(ctx, id);
        const status = await ctx.client.get<ReleaseStatusResponse>(`/v1/releases/${id}`);
        if (ctx.json) ctx.output.out(JSON.stringify(status, null, 2));
        else for (const line of statusLines(status)) ctx.output.out(line);
        return EXIT.ok;
      }),
    );

  program
    .command('list')
    .description('List releases: running ones first (newest first), then finished ones')
    .option('--service <name>', 'only this service')
    .option('--namespace <name>', 'only this namespace')
    .option(
      '--phase <phase>',
      'only releases in this phase (e.g. Progressing, Promoted, RolledBack)',
    )
    .option('--limit <n>', 'at most this many releases (default 20, at most 1000)', '20')
    .action(
      async (
        flags: { service?: string; namespace?: string; phase?: string; limit: string },
        command: Command,
      ) =>
        runCommand(command, async (ctx) => {
          const limit = Number(flags.limit);
          if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
            throw new UsageError(
              `--limit must be a whole number from 1 to 1000, got "${flags.limit}"`,
            );
          const releases: ReleaseSummary[] = [];
          let cursor: string | null = null;
          do {
            const query = new URLSearchParams();
            for (const key of ['service', 'namespace', 'phase'] as const)
              if (flags[key] !== undefined) query.set(key, flags[key] as string);
            query.set('pageSize', String(Math.min(100, limit - releases.length)));
            if (cursor) query.set('cursor', cursor);
            const page: { releases: ReleaseSummary[]; nextCursor: string | null } =
              await ctx.client.get(`/v1/releases?${query}`);
            releases.push(...page.releases);
            cursor = page.nextCursor;
          } while (cursor && releases.length < limit);
          if (ctx.json) {
            ctx.output.out(JSON.stringify(releases, null, 2));
            return EXIT.ok;
          }
          const rows = releases.map((r) => [
            r.id,
            `${r.namespace ?? '?'}/${r.service ?? '?'}`,
            r.canaryVersion ?? '',
            r.phase ?? '',
            r.weight === null ? '' : `${r.weight}%`,
            r.startedAt,
          ]);
          for (const line of table(['ID', 'SERVICE', 'CANARY', 'PHASE', 'WEIGHT', 'STARTED'], rows))
            ctx.output.out(line);
          return EXIT.ok;
        }),
    );
}
