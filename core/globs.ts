/**
 * Name patterns with `*` (any run of characters), as operators and token scopes write them:
 * `team-*`, `*-prod`. The one matcher for token scopes (api/scopes.ts) and the worker's namespace
 * allow-list (activities/preflight.ts), so both read a pattern the same way. Pure, workflow-safe.
 */

/** True when `value` matches `pattern`, whose `*` stands for any run of characters (also none). */
export function globMatches(pattern: string, value: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(value);
}

/**
 * Patterns from a comma-separated list (CANARY_ALLOWED_NAMESPACES); undefined for an unset or
 * blank list, which allows every name.
 */
export function parsePatternList(text: string | undefined): string[] | undefined {
  const patterns = (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return patterns.length > 0 ? patterns : undefined;
}
