/**
 * Sticky user buckets (core/routing/buckets.ts): the regex every Kubernetes router renders is
 * exact (for every trailing value it matches iff the value is below the threshold) and monotone
 * (raising the share only adds users); over 2,000 simulated ids each share is met within 2 points
 * and no id goes from the canary back to stable between steps, by regex and by the sandbox's
 * hashing alike. Prints the precision table for the docs.
 */
import { describe, expect, it } from 'vitest';
import {
  BUCKET_UNITS,
  bucketRegex,
  bucketThreshold,
  effectivePercent,
  inUserBucket,
  trailingBucket,
  type IdFormat,
  type TrailingFormat,
} from '../../core/routing/buckets.js';
import { re2Problem } from '../../core/routing/re2.js';

const FORMATS: TrailingFormat[] = ['decimal', 'hex'];
const PERCENTS = Array.from({ length: 100 }, (_, i) => i + 1);
const STEPS = [5, 25, 50];

/** Every trailing two-digit value of a format, written with digits of both cases for hex. */
function trailingValues(format: TrailingFormat): { text: string; value: number }[] {
  const units = BUCKET_UNITS[format];
  const base = format === 'decimal' ? 10 : 16;
  return Array.from({ length: units }, (_, value) => {
    const text = value.toString(base).padStart(2, '0');
    return [{ text, value }, ...(format === 'hex' ? [{ text: text.toUpperCase(), value }] : [])];
  }).flat();
}

/** 2,000 ids a service might have: decimal numbers, or UUID-like hex strings (deterministic). */
function simulatedIds(format: IdFormat): string[] {
  let state = 0x2545f491;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  return Array.from({ length: 2000 }, () => {
    if (format === 'decimal') return String(next() % 10_000_000);
    const hex = `${next().toString(16).padStart(8, '0')}-${next().toString(16).padStart(8, '0')}`;
    return format === 'hex' ? hex : `user-${hex}@example.com`;
  });
}

describe('the user-bucket regex', () => {
  it.each(FORMATS)(
    'matches a %s id exactly when its trailing value is below the threshold, for every percent',
    (format) => {
      for (const percent of PERCENTS) {
        const regex = new RegExp(bucketRegex(format, percent));
        const threshold = bucketThreshold(format, percent);
        for (const { text, value } of trailingValues(format)) {
          for (const prefix of ['', '7', 'user-1', 'ab']) {
            expect(regex.test(`${prefix}${text}`), `${format} ${percent}% "${prefix}${text}"`).toBe(
              value < threshold,
            );
          }
        }
      }
    },
  );

  it.each(FORMATS)(
    'reads a %s id that ends in one digit as that digit, and an id without one as no bucket',
    (format) => {
      for (const percent of PERCENTS) {
        const regex = new RegExp(bucketRegex(format, percent));
        for (const id of ['7', 'u-7', 'x', 'user-', '']) {
          const bucket = trailingBucket(id, format);
          const expected = bucket !== undefined && bucket < bucketThreshold(format, percent);
          expect(regex.test(id), `${format} ${percent}% "${id}"`).toBe(expected);
          expect(inUserBucket(id, format, percent)).toBe(expected);
        }
      }
    },
  );

  it.each(FORMATS)('is monotone for %s ids: every id in p% is in every larger share', (format) => {
    const ids = trailingValues(format).flatMap(({ text }) => [text, `9${text}`, `q-${text}`]);
    for (const percent of PERCENTS.slice(0, -1)) {
      const smaller = new RegExp(bucketRegex(format, percent));
      const larger = new RegExp(bucketRegex(format, percent + 1));
      for (const id of ids) if (smaller.test(id)) expect(larger.test(id), id).toBe(true);
    }
  });

  it('is RE2 syntax the proxies accept, for every format and percent', () => {
    for (const format of FORMATS)
      for (const percent of PERCENTS)
        expect(re2Problem(bucketRegex(format, percent))).toBe(undefined);
  });

  it('rounds a hex share up to whole 1/256 buckets', () => {
    expect(bucketThreshold('hex', 5)).toBe(13);
    expect(effectivePercent('hex', 5)).toBeCloseTo(5.078, 3);
    expect(bucketThreshold('hex', 100)).toBe(256);
    expect(bucketThreshold('decimal', 37)).toBe(37);
  });
});

describe('a user-bucket schedule over 2,000 simulated ids', () => {
  const cases: [string, IdFormat, (id: string, percent: number) => boolean][] = [
    ['decimal ids by the rendered regex', 'decimal', regexMember('decimal')],
    ['hex ids by the rendered regex', 'hex', regexMember('hex')],
    ['decimal ids in the sandbox', 'decimal', (id, p) => inUserBucket(id, 'decimal', p)],
    ['any ids hashed by the sandbox', 'any', (id, p) => inUserBucket(id, 'any', p)],
  ];
  const table: string[] = [];

  it.each(cases)(
    'meets each step within 2 points and never moves an id back to stable (%s)',
    (label, format, member) => {
      const ids = simulatedIds(format);
      let canary = new Set<string>();
      const shares: string[] = [];
      for (const percent of STEPS) {
        const now = new Set(ids.filter((id) => member(id, percent)));
        const share = (100 * now.size) / ids.length;
        expect(Math.abs(share - percent), `${label} at ${percent}%`).toBeLessThanOrEqual(2);
        expect([...canary].filter((id) => !now.has(id))).toEqual([]);
        canary = now;
        shares.push(`${percent}% → ${share.toFixed(2)}%`);
      }
      table.push(`| ${label} | ${shares.join(' | ')} |`);
      if (table.length === cases.length) printTables(table);
    },
  );
});

function regexMember(format: TrailingFormat): (id: string, percent: number) => boolean {
  const regexes = new Map(PERCENTS.map((p) => [p, new RegExp(bucketRegex(format, p))]));
  return (id, percent) => (regexes.get(percent) as RegExp).test(id);
}

function printTables(shares: string[]): void {
  const precision = [1, 5, 10, 25, 50, 100].map(
    (p) =>
      `| ${p}% | ${bucketThreshold('decimal', p)}/100 = ${effectivePercent('decimal', p)}% | ${bucketThreshold('hex', p)}/256 = ${effectivePercent('hex', p).toFixed(2)}% |`,
  );
  console.log(
    [
      '| requested | decimal (last two digits) | hex (last two hex digits) |',
      '| ---: | ---: | ---: |',
      ...precision,
      '',
      `| 2,000 simulated ids | ${STEPS.map((s) => `step ${s}%`).join(' | ')} |`,
      `| --- | ${STEPS.map(() => '---:').join(' | ')} |`,
      ...shares,
    ].join('\n'),
  );
}
