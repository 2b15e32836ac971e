/**
 * Token scopes (api/scopes.ts) and their place in the token format (api/auth.ts): parsing, the one
 * "may this token touch namespace/service" rule, the visibility clause for lists, and the 403 a
 * scoped token meets when it starts a release elsewhere, answered before Temporal is reached.
 */
import { describe, expect, it } from 'vitest';
import { parseTokenEntry, parseTokenList, TokenStore } from '../../api/auth.js';
import {
  mayTouch,
  mayTouchWorkflow,
  parseScope,
  releaseTarget,
  requireScope,
  scopeClause,
} from '../../api/scopes.js';
import { ProblemError } from '../../api/problems.js';
import { releaseListQuery } from '../../api/visibility.js';
import { globMatches, parsePatternList } from '../../core/globs.js';
import { releaseWorkflowId } from '../../core/spec.js';
import { jsonHeaders, specBody, unitApp } from '../harness/api.js';

const SCOPED = 'team-a-deployer-token-0123';

describe('token scopes', () => {
  it('reads scopes after "@" in a token entry, separated by ";"', () => {
    const entry = parseTokenEntry(
      `ci-a=${SCOPED}:deployer+viewer@team-a;team-b/web-*`,
      'CANARY_API_TOKENS entry 1',
    );
    expect(entry.roles).toEqual(['deployer', 'viewer']);
    expect(entry.scopes).toEqual([
      { namespace: 'team-a', service: '*' },
      { namespace: 'team-b', service: 'web-*' },
    ]);
  });

  it('keeps an entry without scopes unscoped, as entries were before scopes existed', () => {
    const [entry] = parseTokenList(`ops=${SCOPED}:deployer`);
    expect(entry?.scopes).toBeUndefined();
    const caller = new TokenStore(entry ? [entry] : []).authenticate(SCOPED);
    expect(caller?.scopes).toBeUndefined();
  });

  it('refuses an empty scope list and a scope that is not a namespace or namespace/service, naming where it is', () => {
    expect(() => parseTokenEntry(`${SCOPED}:deployer@`, 'tokens line 3')).toThrow(
      /^tokens line 3: after "@" list scopes/,
    );
    expect(() => parseTokenEntry(`${SCOPED}:deployer@Team_A`, 'tokens line 4')).toThrow(
      'tokens line 4: scope "Team_A" must be "namespace" or "namespace/service"',
    );
    expect(() => parseScope('a/b/c', 'x')).toThrow(/scope "a\/b\/c"/);
  });

  it('matches "*" against any run of characters in either part', () => {
    expect(globMatches('team-*', 'team-a')).toBe(true);
    expect(globMatches('team-*', 'teamx')).toBe(false);
    expect(globMatches('*', 'anything')).toBe(true);
    expect(globMatches('a.b', 'axb')).toBe(false);
    const scopes = [parseScope('team-a', 'x'), parseScope('prod-*/api-*', 'x')];
    expect(mayTouch(scopes, { namespace: 'team-a', service: 'web' })).toBe(true);
    expect(mayTouch(scopes, { namespace: 'prod-eu', service: 'api-users' })).toBe(true);
    expect(mayTouch(scopes, { namespace: 'prod-eu', service: 'web' })).toBe(false);
    expect(mayTouch(scopes, { namespace: 'team-b', service: 'web' })).toBe(false);
    expect(mayTouch(undefined, { namespace: 'team-b', service: 'web' })).toBe(true);
  });

  it('reads a release’s namespace and service back from its workflow id', () => {
    expect(releaseTarget(releaseWorkflowId('team-a', 'web'))).toEqual({
      namespace: 'team-a',
      service: 'web',
    });
    expect(releaseTarget('some-other-workflow')).toBeUndefined();
    expect(mayTouchWorkflow([parseScope('team-a', 'x')], 'some-other-workflow')).toBe(false);
    expect(mayTouchWorkflow(undefined, 'some-other-workflow')).toBe(true);
  });

  it('refuses a release outside the scopes with a 403 naming the scopes and the release’s namespace/service', () => {
    const caller = { name: 'ci-a', scopes: [parseScope('team-a', 'x')] };
    let refusal: unknown;
    try {
      requireScope(caller, { namespace: 'team-b', service: 'web' }, 'abort release web-v2');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ProblemError);
    const problem = refusal as ProblemError;
    expect(problem.status).toBe(403);
    expect(problem.message).toBe(
      'the token of ci-a may not abort release web-v2: it is scoped to team-a, and the release is in namespace team-b, service web',
    );
    expect(problem.extensions).toEqual({ scopes: ['team-a'], namespace: 'team-b', service: 'web' });
  });

  it('says exact scopes in the list query and leaves globbed ones to the filter after reading', () => {
    const exact = scopeClause([parseScope('team-a', 'x'), parseScope('team-b/web', 'x')]);
    expect(exact).toBe(
      '(CanaryNamespace = "team-a" OR (CanaryNamespace = "team-b" AND CanaryService = "web"))',
    );
    expect(releaseListQuery({}, exact)).toContain(`AND ${exact}`);
    expect(scopeClause([parseScope('team-*', 'x')])).toBeUndefined();
    expect(scopeClause(undefined)).toBeUndefined();
  });

  it('reads the worker’s allow-list as comma-separated patterns, unset or blank meaning every namespace', () => {
    expect(parsePatternList(' team-a , team-b-* ')).toEqual(['team-a', 'team-b-*']);
    expect(parsePatternList(undefined)).toBeUndefined();
    expect(parsePatternList(' , ')).toBeUndefined();
  });
});

describe('a scoped token at the API', () => {
  const app = unitApp({
    tokens: new TokenStore([parseTokenEntry(`ci-a=${SCOPED}:deployer+viewer@team-a`, 'test')]),
  });

  it('answers 403 naming its scopes when it starts a release in another namespace, before Temporal is reached', async () => {
    const res = await app.request('/v1/releases', {
      method: 'POST',
      headers: jsonHeaders(SCOPED),
      body: JSON.stringify(specBody({ service: 'web', namespace: 'team-b' })),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await res.json()) as Record<string, unknown>;
    expect(problem.detail).toBe(
      'the token of ci-a may not start a release of team-b/web: it is scoped to team-a, and the release is in namespace team-b, service web',
    );
    expect(problem).toMatchObject({ scopes: ['team-a'], namespace: 'team-b', service: 'web' });
  });

  it('still answers 400 for a bad spec first: the scope is judged on a valid spec', async () => {
    const res = await app.request('/v1/releases', {
      method: 'POST',
      headers: jsonHeaders(SCOPED),
      body: JSON.stringify({ service: 'web', namespace: 'team-b' }),
    });
    expect(res.status).toBe(400);
  });
});
