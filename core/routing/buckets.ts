/**
 * Sticky user buckets: which users are in "p% of users", the same users every time and the users
 * of a smaller share always among those of a larger one (monotone), so raising the share only adds
 * users and nobody flips from the canary back to stable between steps.
 *
 * A user's bucket is the number formed by the last two digits of the id (decimal: 00–99, 1%
 * each; hex: 00–ff, 1/256 each, letters in either case); an id that ends in a single digit is in
 * that digit's bucket, and an id that does not end in a digit of its format is in no bucket (always
 * stable). "p%" takes the buckets below a threshold: p for decimal, ceil(p × 256 / 100) for hex.
 * Kubernetes routers express that as a header regex (`bucketRegex`); the sandbox computes it
 * (`inUserBucket`) and, for `idFormat: "any"`, hashes the whole id instead. Pure and workflow-safe.
 */

/** How an id is read: its trailing decimal or hex digits, or (sandbox only) a hash of the whole id. */
export type IdFormat = 'decimal' | 'hex' | 'any';
/** The formats a regex can express (every Kubernetes router). */
export type TrailingFormat = Exclude<IdFormat, 'any'>;

const BASE: Record<TrailingFormat, number> = { decimal: 10, hex: 16 };
/** Buckets per format: the precision of a share is 1 / units. */
export const BUCKET_UNITS: Record<TrailingFormat, number> = { decimal: 100, hex: 256 };
/** Hashed ids (`any`) fall in one of 10,000 buckets (0.01%). */
export const HASH_UNITS = 10_000;

/** The number of buckets (from 0) that make up `percent`% of users: rounded up, never 0. */
export function bucketThreshold(format: TrailingFormat, percent: number): number {
  return Math.ceil((percent * BUCKET_UNITS[format]) / 100);
}

/** The share of users `percent`% really selects, in percent (hex rounds up to 1/256 steps). */
export function effectivePercent(format: TrailingFormat, percent: number): number {
  return (100 * bucketThreshold(format, percent)) / BUCKET_UNITS[format];
}

/** The value of one digit character in `format`, or undefined when it is not one. */
function digitValue(char: string, format: TrailingFormat): number | undefined {
  const value = parseInt(char, BASE[format]);
  return Number.isNaN(value) || !/^[0-9a-fA-F]$/.test(char) ? undefined : value;
}

/** The bucket of an id by its trailing digits (see the file comment); undefined when it has none. */
export function trailingBucket(id: string, format: TrailingFormat): number | undefined {
  const last = digitValue(id.slice(-1), format);
  if (last === undefined) return undefined;
  const before = id.length > 1 ? digitValue(id.slice(-2, -1), format) : undefined;
  return before === undefined ? last : before * BASE[format] + last;
}

/** FNV-1a (32 bit) of the id's UTF-16 code units, in HASH_UNITS buckets: stable across processes. */
export function hashedBucket(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % HASH_UNITS;
}

/** Whether a user id is among `percent`% of users read as `format` (what the sandbox routes by). */
export function inUserBucket(id: string, format: IdFormat, percent: number): boolean {
  if (format === 'any') return hashedBucket(id) < percent * (HASH_UNITS / 100);
  const bucket = trailingBucket(id, format);
  return bucket !== undefined && bucket < bucketThreshold(format, percent);
}

/** A character class for the digit values [0, below) in `format` ("" when below is 0). */
function digitsBelow(format: TrailingFormat, below: number): string {
  if (below <= 0) return '';
  const decimal = Math.min(below, 10);
  let body = decimal === 1 ? '0' : `0-${decimal - 1}`;
  if (format === 'hex' && below > 10) {
    const last = String.fromCharCode(96 + below - 10); // 11 → "a"
    body += below === 11 ? 'aA' : `a-${last}A-${last.toUpperCase()}`;
  }
  return body === '0' ? '0' : `[${body}]`;
}

/** One digit of value `value` in `format` (hex letters in either case). */
function digitOf(format: TrailingFormat, value: number): string {
  if (value < 10) return String(value);
  const letter = value.toString(BASE[format]);
  return `[${letter}${letter.toUpperCase()}]`;
}

/**
 * The header regex for "`percent`% of users" by trailing digits: matches exactly the ids whose
 * bucket is below the threshold. Anchored at both ends and free of lookaround, so RE2 (Envoy,
 * Go, Traefik) and PCRE (ingress-nginx) read it alike, whether the proxy matches the whole value
 * or searches in it.
 */
export function bucketRegex(format: TrailingFormat, percent: number): string {
  const threshold = bucketThreshold(format, percent);
  const base = BASE[format];
  const any = digitsBelow(format, base);
  const high = Math.floor(threshold / base);
  const low = threshold % base;
  const twoDigits = [
    ...(high > 0 ? [`${digitsBelow(format, high)}${any}`] : []),
    ...(low > 0 ? [`${digitOf(format, high)}${digitsBelow(format, low)}`] : []),
  ];
  const notDigit = format === 'decimal' ? '[^0-9]' : '[^0-9a-fA-F]';
  const oneDigit = digitsBelow(format, Math.min(threshold, base));
  return `^(?:.*(?:${twoDigits.join('|')})|(?:.*${notDigit})?${oneDigit})$`;
}
