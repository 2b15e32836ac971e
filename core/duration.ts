/**
 * Durations in release specs are Go/Prometheus-style strings ("90s", "5m", "1h30m", "500ms").
 * Validation checks them with `parseDuration`; everything after validation turns them into
 * milliseconds with `durationMs`, which throws instead of falling back (the plan, core/plan.ts,
 * holds every duration the workflow runs on, so workflow code only sees numbers).
 */
import { EngineError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Parses "1h30m" into milliseconds; returns undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || !DURATION_RE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART_RE)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return Math.round(total);
}

/**
 * A duration that is not one, found after validation (a spec that bypassed it): retrying cannot
 * fix it, so it is marked `nonRetryable` like the providers' configuration errors.
 */
export class DurationError extends EngineError {
  constructor(
    readonly field: string,
    readonly text: string,
  ) {
    super(`${field} "${text}" is not a duration such as "30s", "5m" or "1h30m"`, {
      kind: 'config',
      nonRetryable: true,
      object: field,
    });
  }
}

/** Milliseconds of a spec's duration field; throws DurationError naming the field when it is not one. */
export function durationMs(text: string, field: string): number {
  const value = parseDuration(text);
  if (value === undefined) throw new DurationError(field, text);
  return value;
}

/** Formats milliseconds the way people write them: 90000 → "1m30s", 1500 → "1.5s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms);
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    const whole = Math.floor(rest / size);
    if (whole > 0) {
      parts.push(`${whole}${unit}`);
      rest -= whole * size;
    }
  }
  if (rest > 0 || parts.length === 0) {
    const seconds = rest / 1000;
    parts.push(`${Number.isInteger(seconds) ? seconds : Number(seconds.toFixed(3))}s`);
  }
  return parts.join('');
}
