/**
 * Router and cohort configuration: the spec schemas of each router, what cohorts mean on the wire
 * (the cookie regex in particular) and the cohorts NGINX cannot express.
 */
import { describe, expect, it } from 'vitest';
import { cohortCondition, cookieHeaderRegex, escapeRegExp } from '../../core/routing/cohorts.js';
import {
  routerCohortProblems,
  routerSpecSchema,
  type Cohort,
  type RouterSpec,
} from '../../core/routing/config.js';
import { traefikCondition } from '../../activities/routers/traefik.js';
import { percentages } from '../../activities/routers/shared.js';
import { RouterConfigError } from '../../activities/routers/errors.js';

const NGINX: RouterSpec = {
  type: 'nginx',
  ingress: 'web',
  stableService: 'web',
  canaryService: 'web-canary',
};

describe('router spec schema', () => {
  it.each([
    [
      'istio',
      {
        type: 'istio',
        virtualService: 'reviews',
        destinations: { kind: 'hosts', stableHost: 'reviews', canaryHost: 'reviews-canary' },
      },
    ],
    [
      'gateway-api',
      {
        type: 'gateway-api',
        httpRoute: 'shop',
        stableService: 'shop',
        canaryService: 'shop-canary',
        canaryPort: 8080,
      },
    ],
    ['nginx', { type: 'nginx', ingress: 'web', stableService: 'web', canaryService: 'web-canary' }],
    [
      'traefik',
      {
        type: 'traefik',
        traefikService: 'api-weighted',
        ingressRoute: 'api',
        stableService: 'api',
        canaryService: 'api-canary',
      },
    ],
    ['sandbox', { type: 'sandbox' }],
  ])('accepts a %s router', (_type, spec) => {
    expect(routerSpecSchema.safeParse(spec).success).toBe(true);
  });

  it('fills the default subsets of an Istio router', () => {
    const parsed = routerSpecSchema.parse({
      type: 'istio',
      virtualService: 'reviews',
      destinations: { kind: 'subsets', host: 'reviews' },
    });
    expect(parsed).toEqual({
      type: 'istio',
      virtualService: 'reviews',
      destinations: {
        kind: 'subsets',
        host: 'reviews',
        stableSubset: 'stable',
        canarySubset: 'canary',
      },
    });
  });

  it('rejects an unknown router type instead of falling back to a default', () => {
    const result = routerSpecSchema.safeParse({ type: 'linkerd', service: 'x' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['type']);
  });

  it('rejects fields a router does not have', () => {
    const result = routerSpecSchema.safeParse({
      type: 'nginx',
      ingress: 'web',
      stableService: 'web',
      canaryService: 'c',
      weight: 10,
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.code).toBe('unrecognized_keys');
  });
});

describe('cohort conditions', () => {
  it('turns a header cohort into an exact match on the lowercased header', () => {
    expect(cohortCondition({ type: 'header', name: 'X-Env', value: 'canary' })).toEqual({
      header: 'x-env',
      kind: 'exact',
      value: 'canary',
    });
  });

  it('turns a cookie cohort into a regex on the Cookie header', () => {
    expect(cohortCondition({ type: 'cookie', name: 'tenantGray', value: '1' })).toEqual({
      header: 'cookie',
      kind: 'regex',
      value: '^(.*?;\\s*)?tenantGray=1(;.*)?$',
    });
  });

  it.each([
    ['tenantGray=1', true],
    ['a=b; tenantGray=1', true],
    ['a=b;tenantGray=1; c=d', true],
    ['tenantGray=10', false],
    ['xtenantGray=1', false],
    ['a=tenantGray=1', false],
    ['tenantGray=2; other=1', false],
  ])('the cookie regex for tenantGray=1 on "%s" matches: %s', (cookie, matches) => {
    expect(new RegExp(cookieHeaderRegex('tenantGray', '1')).test(cookie)).toBe(matches);
  });

  it('escapes regex metacharacters in cookie names and values', () => {
    expect(escapeRegExp('a.b*c')).toBe('a\\.b\\*c');
    expect(new RegExp(cookieHeaderRegex('v.1', 'x')).test('vx1=x')).toBe(false);
  });

  it('renders Traefik v3 matchers, backquoted unless the text has a backquote', () => {
    expect(traefikCondition({ header: 'x-env', kind: 'exact', value: 'canary' })).toBe(
      'Header(`x-env`, `canary`)',
    );
    expect(traefikCondition({ header: 'x-user', kind: 'regex', value: '^a`b$' })).toBe(
      'HeaderRegexp(`x-user`, "^a`b$")',
    );
  });
});

describe('cohorts the NGINX router cannot express', () => {
  const header: Cohort = { type: 'header', name: 'x-env', value: 'canary' };
  const regex: Cohort = { type: 'headerRegex', name: 'x-user', regex: '^1$' };
  const always: Cohort = { type: 'cookie', name: 'canary', value: 'always' };

  it('accepts one header cohort and one cookie cohort whose value is "always"', () => {
    expect(routerCohortProblems(NGINX, [header, always])).toEqual([]);
  });

  it('rejects a second header cohort, naming the first', () => {
    expect(routerCohortProblems(NGINX, [header, always, regex])).toEqual([
      {
        path: 'cohorts[2]',
        message:
          'the nginx router supports one header cohort (canary-by-header); cohorts[0] is already one',
      },
    ]);
  });

  it('rejects a second cookie cohort and a cookie value other than "always"', () => {
    expect(
      routerCohortProblems(NGINX, [{ type: 'cookie', name: 'tenantGray', value: '1' }, always]),
    ).toEqual([
      {
        path: 'cohorts[0].value',
        message:
          'the nginx router\'s canary-by-cookie routes to the canary only when the cookie\'s value is "always", not "1"',
      },
      {
        path: 'cohorts[1]',
        message:
          'the nginx router supports one cookie cohort (canary-by-cookie); cohorts[0] is already one',
      },
    ]);
  });

  it('puts no limits on the other routers', () => {
    const istio = routerSpecSchema.parse({
      type: 'istio',
      virtualService: 'r',
      destinations: { kind: 'subsets', host: 'r' },
    });
    expect(routerCohortProblems(istio, [header, regex, header, always])).toEqual([]);
  });
});

describe('relative weights as percentages', () => {
  it.each([
    [1, 0, { stable: 100, canary: 0 }],
    [1, 1, { stable: 50, canary: 50 }],
    [3, 1, { stable: 75, canary: 25 }],
    [2, 1, { stable: 67, canary: 33 }],
    [0, 7, { stable: 0, canary: 100 }],
  ])('stable %d and canary %d are %o', (stable, canary, expected) => {
    expect(percentages(stable, canary, 'ns/HTTPRoute/x')).toEqual(expected);
  });

  it('refuses two zero weights, which route nothing', () => {
    expect(() => percentages(0, 0, 'ns/HTTPRoute/x')).toThrow(RouterConfigError);
  });
});
