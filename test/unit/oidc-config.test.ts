/**
 * The `auth` section of the engine config (api/oidc/config.ts) and the rules that turn a token's
 * claims into roles, scopes and an actor name (api/oidc/claims.ts). Pure: no server.
 */
import { describe, expect, it } from 'vitest';
import { callerFromClaims, claimsToKeep } from '../../api/oidc/claims.js';
import type { IssuerConfig } from '../../api/oidc/config.js';
import { parseEngineConfig } from '../../worker/engine-config.js';

const issuer = (overrides: Record<string, unknown> = {}) => ({
  name: 'github',
  issuer: 'https://token.actions.githubusercontent.com',
  audiences: ['canary-engine'],
  rules: [{ claim: 'repository', equals: 'org/app', roles: ['deployer'] }],
  ...overrides,
});

const configWith = (oidc: Record<string, unknown>) => () =>
  parseEngineConfig({ auth: { oidc } }, 'test config');

function parsedIssuer(overrides: Record<string, unknown>): IssuerConfig {
  const oidc = parseEngineConfig({ auth: { oidc: { issuers: [issuer(overrides)] } } }).auth.oidc;
  return oidc?.issuers[0] as IssuerConfig;
}

describe('the auth section of the engine config', () => {
  it('is optional and fills the defaults of an issuer', () => {
    expect(parseEngineConfig({}).auth).toEqual({});
    const parsed = parsedIssuer({});
    expect(parsed.clockSkew).toBe('30s');
    expect(parsed.actorClaims).toEqual(['sub']);
    expect(parsed.algorithms).not.toContain('HS256');
  });

  it('refuses HS256 and none among the allowed algorithms, naming the field', () => {
    expect(configWith({ issuers: [issuer({ algorithms: ['RS256', 'HS256'] })] })).toThrow(
      /auth\.oidc\.issuers\[0\]\.algorithms\[1\]/,
    );
    expect(configWith({ issuers: [issuer({ algorithms: ['none'] })] })).toThrow(/algorithms/);
  });

  it('refuses an http issuer except on localhost', () => {
    expect(configWith({ issuers: [issuer({ issuer: 'http://idp.example' })] })).toThrow(
      /issuers\[0\]\.issuer: must be an https:\/\/ URL/,
    );
    expect(configWith({ issuers: [issuer({ issuer: 'http://127.0.0.1:5556' })] })).not.toThrow();
  });

  it('refuses a rule with two tests, one without roles, and a malformed scope', () => {
    expect(
      configWith({
        issuers: [
          issuer({ rules: [{ claim: 'a', equals: 'x', contains: 'y', roles: ['viewer'] }] }),
        ],
      }),
    ).toThrow(/give exactly one of equals, contains, matches/);
    expect(
      configWith({ issuers: [issuer({ rules: [{ claim: 'a', equals: 'x', roles: [] }] })] }),
    ).toThrow(/rules\[0\]\.roles/);
    expect(
      configWith({
        issuers: [
          issuer({ rules: [{ claim: 'a', equals: 'x', roles: ['viewer'], scopes: ['Team A'] }] }),
        ],
      }),
    ).toThrow(/rules\[0\]\.scopes\[0\]/);
  });

  it('refuses a sign-in naming an unknown issuer or a redirect URL that is not the callback', () => {
    const login = {
      issuer: 'company',
      clientId: 'x',
      redirectUrl: 'https://c.example/ui/auth/callback',
    };
    expect(configWith({ issuers: [issuer()], login })).toThrow(
      /login\.issuer: must name one of issuers \(github\)/,
    );
    expect(
      configWith({
        issuers: [issuer()],
        login: { ...login, issuer: 'github', redirectUrl: 'https://evil.example/steal' },
      }),
    ).toThrow(/login\.redirectUrl/);
  });

  it('refuses two entries for the same issuer URL', () => {
    expect(configWith({ issuers: [issuer(), issuer({ name: 'other' })] })).toThrow(
      /issuers\[1\]\.issuer: is configured twice/,
    );
  });
});

describe('claims to a caller', () => {
  const rules = [
    { claim: 'repository', equals: 'org/app', roles: ['deployer', 'viewer'], scopes: ['team-a'] },
    { claim: 'groups', contains: 'sre', roles: ['approver', 'viewer'] },
    { claim: 'ref', matches: 'refs/tags/v*', roles: ['viewer'], scopes: ['team-b/web-*'] },
    {
      all: [
        { claim: 'repository', equals: 'org/app' },
        { claim: 'ref', equals: 'refs/heads/main' },
      ],
      roles: ['approver'],
    },
    { claim: 'realm_access.roles', contains: 'canary-admin', roles: ['approver'] },
  ];
  const gh = parsedIssuer({ rules, actorClaims: ['repository', 'workflow'] });

  it('names the actor from the configured claims joined with ":"', () => {
    const caller = callerFromClaims({ repository: 'org/app', workflow: 'deploy' }, gh);
    expect(caller.name).toBe('org/app:deploy');
  });

  it('adds up the roles of every matching rule and limits the caller to the union of their scopes', () => {
    const caller = callerFromClaims(
      { repository: 'org/app', workflow: 'w', ref: 'refs/tags/v1.2', groups: ['sre'] },
      gh,
    );
    expect([...caller.roles].sort()).toEqual(['approver', 'deployer', 'viewer']);
    expect(caller.scopes).toEqual([
      { namespace: 'team-a', service: '*' },
      { namespace: 'team-b', service: 'web-*' },
    ]);
  });

  it('leaves a caller unscoped only when no matching rule lists scopes', () => {
    const caller = callerFromClaims({ repository: 'x', workflow: 'w', groups: ['sre'] }, gh);
    expect(caller.scopes).toBeUndefined();
    expect([...caller.roles].sort()).toEqual(['approver', 'viewer']);
  });

  it('needs every condition of an "all" rule, and reads dotted paths and space-separated lists', () => {
    const branch = callerFromClaims(
      { repository: 'org/app', workflow: 'w', ref: 'refs/heads/dev' },
      gh,
    );
    expect(branch.roles.has('approver')).toBe(false);
    const main = callerFromClaims(
      { repository: 'org/app', workflow: 'w', ref: 'refs/heads/main' },
      gh,
    );
    expect(main.roles.has('approver')).toBe(true);
    const nested = callerFromClaims(
      { repository: 'r', workflow: 'w', realm_access: { roles: ['canary-admin'] } },
      gh,
    );
    expect(nested.roles.has('approver')).toBe(true);
    const spaced = callerFromClaims({ repository: 'r', workflow: 'w', groups: 'dev sre' }, gh);
    expect(spaced.roles.has('approver')).toBe(true);
  });

  it('does not coerce: a number or a list never equals a string', () => {
    const bySub = parsedIssuer({ rules });
    const odd = callerFromClaims(
      { sub: 's', repository: ['org/app'], ref: 5, groups: { sre: 1 } },
      bySub,
    );
    expect(odd.name).toBe('s');
    expect(odd.roles.size).toBe(0);
  });

  it('rejects a token without a claim that names the actor', () => {
    expect(() => callerFromClaims({ repository: 'org/app' }, gh)).toThrow(
      'the token has no printable claim "workflow", which names the actor for issuer github',
    );
  });

  it('keeps in a session only the claims the actor and the rules read', () => {
    expect(claimsToKeep(gh).sort()).toEqual([
      'groups',
      'realm_access',
      'ref',
      'repository',
      'sub',
      'workflow',
    ]);
  });
});
