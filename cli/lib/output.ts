/**
 * What the CLI prints: human-readable lines by default, JSON with --json. Exit codes are decided
 * here too, so every command maps outcomes the same way.
 */
import type { ReleaseStatusResponse } from '../../api/schemas.js';
import { formatDuration } from '../../core/duration.js';
import { describeDecision } from '../../core/policy.js';
import type { ReleaseEvent } from './events.js';

/**
 * 0: done (or promoted); 1: the release rolled back, was rejected by the pre-flight or failed;
 * 2: usage, connection or API error.
 */
export const EXIT = { ok: 0, releaseFailed: 1, error: 2 } as const;

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** The exit code of a release verdict. */
export function exitCodeOfVerdict(verdict: unknown): number {
  return verdict === 'promoted' ? EXIT.ok : EXIT.releaseFailed;
}

const clock = (at: unknown): string =>
  typeof at === 'string' && at.length >= 19 ? at.slice(11, 19) : '--:--:--';

/** One line per event for people following a release: "hh:mm:ss  <kind>  <what happened>". */
export function eventLine(event: ReleaseEvent): string | undefined {
  const d = event.data;
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const line = (at: unknown, kind: string, what: string) =>
    `${clock(at)}  ${kind.padEnd(8)}  ${what}`;
  const now = new Date().toISOString();
  switch (event.event) {
    case 'status':
      return line(
        now,
        'status',
        `${text(d.phase)}, step ${d.step}/${d.totalSteps}, canary ${(d.weights as { canary?: number } | undefined)?.canary ?? 0}%`,
      );
    case 'phase':
    case 'weight':
    case 'action':
    case 'warning':
      return line(d.at, event.event, text(d.message));
    case 'decision':
      return line(
        d.at,
        'decision',
        describeDecision({
          step: d.step as number,
          look: d.look as number,
          action: text(d.action),
          decision: { verdict: text(d.verdict), explanation: text(d.explanation) },
        }),
      );
    case 'unavailable':
      return line(now, 'waiting', text(d.detail));
    case 'verdict':
      return line(
        d.finishedAt ?? now,
        'verdict',
        `${text(d.verdict).toUpperCase()}: ${text(d.outcome)}`,
      );
    default:
      return undefined;
  }
}

/** The status as a short report. */
export function statusLines(s: ReleaseStatusResponse): string[] {
  const lines = [
    `release   ${s.id}`,
    `service   ${s.namespace}/${s.service}: ${s.stableVersion ?? '(stable version not read yet)'} → ${s.canaryVersion}`,
    `phase     ${s.phase}${s.paused && s.phase !== 'Paused' ? ' (pausing)' : ''}, step ${s.step}/${s.totalSteps}, canary ${s.weights.canary}%` +
      (s.timeLeftMs !== null ? `, ${formatDuration(s.timeLeftMs)} left in the window` : ''),
  ];
  if (s.pendingGate)
    lines.push(`gate      ${s.pendingGate.reason} (times out ${s.pendingGate.deadline})`);
  if (s.outcome) lines.push(`outcome   ${s.outcome}`);
  lines.push(`started   ${s.startedAt}${s.finishedAt ? `, finished ${s.finishedAt}` : ''}`);
  if (s.decisions.length > 0) {
    lines.push('decisions');
    for (const d of s.decisions) lines.push(`  ${describeDecision(d)}`);
  }
  if (s.actions.length > 0) {
    lines.push('actions');
    for (const a of s.actions)
      lines.push(
        `  ${a.at} ${a.action} by ${a.actor} (${a.context})${a.comment ? `: ${a.comment}` : ''}`,
      );
  }
  lines.push(`temporal  ${s.links.temporalUi}`);
  return lines;
}

/** Rows as aligned columns. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
