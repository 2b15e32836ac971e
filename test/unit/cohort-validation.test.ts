/**
 * Submitting user-bucket and query-parameter cohorts: what is refused with which field path
 * (percent, RE2 syntax, value or regex, cohorts a router cannot express), and what each router
 * accepts.
 */
import { describe, expect, it } from 'vitest';
import { re2Problem } from '../../core/routing/re2.js';
import { validateReleaseSpec } from '../../core/spec.js';
import { testSpecBody } from '../harness/release-spec.js';

const ISTIO = {
  type: 'istio',
  virtualService: 'web',
  destinations: { kind: 'subsets', host: 'web' },
};
const NGINX = { type: 'nginx', ingress: 'web', stableService: 'web', canaryService: 'web-canary' };

function problems(cohorts: unknown[], router: unknown = ISTIO) {
  const result = validateReleaseSpec(testSpecBody({ router, cohorts }));
  return result.ok ? [] : result.problems;
}

describe('RE2 syntax', () => {
  it.each([
    '^(1|7|42)$',
    'beta-[0-9]+',
    '(?i)v2',
    '(?P<id>[0-9]{1,1000})',
    '[[:digit:]]+',
    '\\pL\\.',
  ])('accepts %s', (regex) => expect(re2Problem(regex)).toBe(undefined));

  it.each([
    ['a(?=b)', 'lookaround assertions are not RE2'],
    ['a(?<!b)', 'lookaround assertions are not RE2'],
    ['(a)\\1', 'backreference \\1: RE2 has no backreferences'],
    ['(?>a)', 'atomic groups are not RE2'],
    ['a++', 'possessive quantifiers are not RE2'],
    ['a{2,1001}', "repeat count {2,1001} exceeds RE2's limit of 1000"],
    ['\\h', 'invalid escape sequence \\h'],
    ['(v2', 'Unterminated group'],
  ])('refuses %s: %s', (regex, reason) => {
    expect(re2Problem(regex)).toBe(`is not a valid RE2 regular expression: ${reason}`);
  });
});

describe('user-bucket and query-parameter cohorts at submission', () => {
  it('accepts both for Istio', () => {
    expect(
      problems([
        { type: 'userBucket', header: 'x-user-id', idFormat: 'hex', percent: 5 },
        { type: 'queryParam', name: 'ab_test', value: 'v2' },
        { type: 'queryParam', name: 'ab_test', regex: 'v[23]' },
      ]),
    ).toEqual([]);
  });

  it.each([0, 101, 2.5])('refuses percent %s at its path', (percent) => {
    const found = problems([
      { type: 'userBucket', header: 'x-user-id', idFormat: 'decimal', percent },
    ]);
    expect(found.map((p) => p.path)).toEqual(['cohorts[0].percent']);
  });

  it('refuses an invalid regex at its path, for query and header cohorts alike', () => {
    expect(
      problems([
        { type: 'queryParam', name: 'ab_test', regex: 'v(?=2)' },
        { type: 'headerRegex', name: 'x-user', regex: '(a)\\1' },
      ]),
    ).toEqual([
      {
        path: 'cohorts[0].regex',
        message: 'is not a valid RE2 regular expression: lookaround assertions are not RE2',
      },
      {
        path: 'cohorts[1].regex',
        message:
          'is not a valid RE2 regular expression: backreference \\1: RE2 has no backreferences',
      },
    ]);
  });

  it('wants exactly one of value and regex in a query-parameter cohort', () => {
    expect(problems([{ type: 'queryParam', name: 'ab_test' }])).toEqual([
      { path: 'cohorts[0].value', message: 'give exactly one of value and regex' },
    ]);
    expect(problems([{ type: 'queryParam', name: 'ab', value: 'v2', regex: 'v2' }])).toHaveLength(
      1,
    );
  });

  it('refuses hashed ids for a Kubernetes router and says what to do instead', () => {
    const [problem] = problems([
      { type: 'userBucket', header: 'x-user-id', idFormat: 'any', percent: 5 },
    ]);
    expect(problem?.path).toBe('cohorts[0].idFormat');
    expect(problem?.message).toMatch(/^the istio router cannot route "any" ids: a header regex/);
    expect(problem?.message).toContain('have the auth layer set a bucket header');
  });

  it('refuses a query-parameter cohort for NGINX and takes a user bucket as its one header rule', () => {
    expect(
      problems(
        [
          { type: 'queryParam', name: 'ab_test', value: 'v2' },
          { type: 'userBucket', header: 'x-user-id', idFormat: 'decimal', percent: 5 },
        ],
        NGINX,
      ),
    ).toEqual([
      {
        path: 'cohorts[0]',
        message:
          'the nginx router cannot route by query parameter (ingress-nginx canary annotations match one header, one cookie and a weight); send the cohort a header instead, or use the istio, gateway-api or traefik router',
      },
    ]);
  });
});

describe('a schedule in userBuckets mode at submission', () => {
  const steps = [5, 25, 50].map((weight) => ({ weight, observe: '5m' }));
  function scheduleProblems(schedule: object, router: unknown = ISTIO, cohorts: unknown[] = []) {
    const result = validateReleaseSpec(testSpecBody({ router, cohorts, schedule }));
    return result.ok ? [] : result.problems;
  }
  const source = { header: 'x-user-id', idFormat: 'decimal' };

  it('accepts a bucket source with explicit or linear steps', () => {
    expect(scheduleProblems({ mode: 'userBuckets', userBucket: source, steps })).toEqual([]);
    expect(
      scheduleProblems({
        mode: 'userBuckets',
        userBucket: source,
        stepWeight: 25,
        maxWeight: 50,
        observe: '5m',
      }),
    ).toEqual([]);
  });

  it('wants the bucket source with the mode, and only with it', () => {
    expect(scheduleProblems({ mode: 'userBuckets', steps })).toEqual([
      {
        path: 'schedule.userBucket',
        message:
          'is required with mode "userBuckets": the header with the user id and its idFormat',
      },
    ]);
    expect(scheduleProblems({ userBucket: source, steps })).toEqual([
      { path: 'schedule.userBucket', message: 'is only used with mode "userBuckets"' },
    ]);
  });

  it("reports what the router cannot express at the schedule's paths", () => {
    const any = { mode: 'userBuckets', userBucket: { ...source, idFormat: 'any' }, steps };
    expect(scheduleProblems(any).map((p) => p.path)).toEqual(['schedule.userBucket.idFormat']);
    const header = [{ type: 'header', name: 'x-env', value: 'canary' }];
    expect(
      scheduleProblems({ mode: 'userBuckets', userBucket: source, steps }, NGINX, header),
    ).toEqual([
      {
        path: 'schedule.userBucket',
        message:
          'the nginx router supports one header cohort (canary-by-header); cohorts[0] is already one',
      },
    ]);
  });
});
