/**
 * The example release specs in examples/ (one per Kubernetes router) are valid as submitted and
 * use the router they are named after, with cohorts that router can express.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { routerCohortProblems } from '../../core/routing/config.js';
import { validateReleaseSpec } from '../../core/spec.js';

const EXAMPLES = ['istio', 'gateway-api', 'nginx', 'traefik'] as const;

describe('example release specs', () => {
  it.each(EXAMPLES)('examples/%s.json is a valid release spec for that router', (router) => {
    const input: unknown = JSON.parse(
      readFileSync(new URL(`../../examples/${router}.json`, import.meta.url), 'utf8'),
    );
    const result = validateReleaseSpec(input);
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.spec.router.type).toBe(router);
    expect(result.spec.workloads.type).toBe('kubernetes');
    expect(result.spec.cohorts.length).toBeGreaterThan(0);
    expect(routerCohortProblems(result.spec.router, result.spec.cohorts)).toEqual([]);
  });
});
