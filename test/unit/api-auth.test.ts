/**
 * Authentication and authorisation of the API through app.request(): tokens, roles, the token
 * configuration format and the local stack's generated tokens. Temporal is never reached.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  anonymousTokenName,
  loadTokenStore,
  parseTokenEntry,
  parseTokenLines,
  TokenStore,
} from '../../api/auth.js';
import { auth, jsonHeaders, TOKENS, unitApp } from '../harness/api.js';

const MUTATING: { path: string; role: 'deployer' | 'approver' }[] = [
  { path: '/v1/releases', role: 'deployer' },
  ...['approve', 'abort', 'pause', 'resume', 'promote'].map((action) => ({
    path: `/v1/releases/rel-1/${action}`,
    role: 'approver' as const,
  })),
];
const READS = ['/v1/releases', '/v1/releases/rel-1', '/v1/releases/rel-1/events'];

describe('API authentication', () => {
  const app = unitApp();

  for (const { path } of MUTATING) {
    it(`answers 401 with a Bearer challenge for POST ${path} without a token`, async () => {
      const res = await app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="canary"/);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect((await res.json()).detail).toContain('Authorization: Bearer');
    });

    it(`answers 401 for POST ${path} with a token nobody configured`, async () => {
      const res = await app.request(path, {
        method: 'POST',
        headers: jsonHeaders('not-a-configured-token-xyz'),
        body: '{}',
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });

    it(`answers 403 for POST ${path} with a viewer token`, async () => {
      const res = await app.request(path, {
        method: 'POST',
        headers: jsonHeaders(TOKENS.viewer),
        body: '{}',
      });
      expect(res.status).toBe(403);
      const problem = await res.json();
      expect(problem.requiredRole).toBe(path === '/v1/releases' ? 'deployer' : 'approver');
      expect(problem.detail).toContain('dashboard');
    });
  }

  it('answers 403 when an approver tries to start a release and when a deployer tries to approve', async () => {
    const start = await app.request('/v1/releases', {
      method: 'POST',
      headers: jsonHeaders(TOKENS.approver),
      body: '{}',
    });
    expect(start.status).toBe(403);
    const approve = await app.request('/v1/releases/rel-1/approve', {
      method: 'POST',
      headers: jsonHeaders(TOKENS.deployer),
      body: '{}',
    });
    expect(approve.status).toBe(403);
  });

  for (const path of READS) {
    it(`answers 401 for GET ${path} without a token and 403 for a token without the viewer role`, async () => {
      expect((await app.request(path)).status).toBe(401);
      expect((await app.request(path, { headers: auth(TOKENS.deployer) })).status).toBe(403);
    });
  }

  it('checks the token before validating the body, so anonymous callers learn nothing about specs', async () => {
    const res = await app.request('/v1/releases', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"service": 5}',
    });
    expect(res.status).toBe(401);
  });

  it('rejects an Authorization header that is not a bearer token', async () => {
    const res = await app.request('/v1/releases', {
      headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    });
    expect(res.status).toBe(401);
  });

  for (const path of ['/healthz', '/metrics', '/openapi.json', '/docs']) {
    it(`serves ${path} without a token`, async () => {
      expect((await app.request(path)).status).toBe(200);
    });
  }
});

describe('the token configuration format', () => {
  it('reads a named entry with several roles', () => {
    expect(parseTokenEntry('ci=abcdefghijklmnop1234:deployer+viewer', 'test')).toEqual({
      name: 'ci',
      token: 'abcdefghijklmnop1234',
      roles: ['deployer', 'viewer'],
    });
  });

  it('names an unnamed token after the first 6 hex characters of its sha256', () => {
    const entry = parseTokenEntry('abcdefghijklmnop1234:viewer', 'test');
    expect(entry.name).toBe(anonymousTokenName('abcdefghijklmnop1234'));
    expect(entry.name).toMatch(/^token-[0-9a-f]{6}$/);
  });

  it('rejects an unknown role and names it, without repeating the token', () => {
    expect(() =>
      parseTokenEntry('ci=abcdefghijklmnop1234:deployer+admin', 'CANARY_API_TOKENS entry 1'),
    ).toThrow('CANARY_API_TOKENS entry 1: unknown role "admin"');
    expect(() => parseTokenEntry('ci=abcdefghijklmnop1234:admin', 'x')).toThrow(
      /^(?!.*abcdefghijklmnop1234).*unknown role "admin"/,
    );
    // roles and token swapped: the "role" is the secret, and it must not be echoed
    expect(() => parseTokenEntry('deployer+approver+viewer:Zp9SuperSecretValue42', 'x')).toThrow(
      'x: unknown role (a value that is not a role name; not shown)',
    );
  });

  it('rejects tokens shorter than 16 characters', () => {
    expect(() => parseTokenEntry('ci=short:viewer', 'test')).toThrow(
      'the token must be 16-256 characters',
    );
  });

  it('reads a token file with comments and blank lines', () => {
    const entries = parseTokenLines(
      '# tokens\n\nci=abcdefghijklmnop1234:deployer # the pipeline\nbob=qrstuvwxyz0123456789:approver\n',
      'tokens.txt',
    );
    expect(entries.map((e) => e.name)).toEqual(['ci', 'bob']);
  });

  it('refuses the same token twice and the same name twice', () => {
    expect(
      () =>
        new TokenStore([
          { name: 'a', token: 'abcdefghijklmnop1234', roles: ['viewer'] },
          { name: 'b', token: 'abcdefghijklmnop1234', roles: ['deployer'] },
        ]),
    ).toThrow('configured twice');
    expect(
      () =>
        new TokenStore([
          { name: 'a', token: 'abcdefghijklmnop1234', roles: ['viewer'] },
          { name: 'a', token: 'qrstuvwxyz0123456789', roles: ['deployer'] },
        ]),
    ).toThrow('two tokens are named "a"');
  });

  it('authenticates only the exact token', () => {
    const store = new TokenStore([{ name: 'a', token: 'abcdefghijklmnop1234', roles: ['viewer'] }]);
    expect(store.authenticate('abcdefghijklmnop1234')?.name).toBe('a');
    expect(store.authenticate('abcdefghijklmnop123')).toBeUndefined();
    expect(store.authenticate('')).toBeUndefined();
  });
});

describe('loadTokenStore', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'canary-api-tokens-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('loads CANARY_API_TOKENS', async () => {
    const loaded = await loadTokenStore({
      env: {
        CANARY_API_TOKENS:
          'ci=abcdefghijklmnop1234:deployer, bob=qrstuvwxyz0123456789:approver+viewer',
      },
    });
    expect(loaded.source).toBe('env');
    expect(loaded.store.size).toBe(2);
    expect([...(loaded.store.authenticate('qrstuvwxyz0123456789')?.roles ?? [])]).toEqual([
      'approver',
      'viewer',
    ]);
  });

  it('merges CANARY_API_TOKENS with the file named by CANARY_API_TOKENS_FILE', async () => {
    const file = join(tempDir(), 'tokens');
    writeFileSync(file, '# ops\nops=zyxwvutsrqponmlkjihg:viewer\n');
    const loaded = await loadTokenStore({
      env: { CANARY_API_TOKENS: 'ci=abcdefghijklmnop1234:deployer', CANARY_API_TOKENS_FILE: file },
    });
    expect(loaded.source).toBe('env+file');
    expect(loaded.store.authenticate('zyxwvutsrqponmlkjihg')?.name).toBe('ops');
    expect(loaded.message).not.toContain('zyxwvutsrqponmlkjihg');
  });

  it('generates one token per role into <dataDir>/api-tokens with mode 0600 and reuses them', async () => {
    const dataDir = tempDir();
    const first = await loadTokenStore({ env: {}, dataDir });
    expect(first.source).toBe('generated');
    const file = join(dataDir, 'api-tokens');
    expect(first.message).toContain(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(lines.map((l) => l.split('=')[0])).toEqual(['deployer', 'approver', 'viewer']);
    const approverToken = (lines[1] as string).slice(
      'approver='.length,
      (lines[1] as string).lastIndexOf(':'),
    );
    expect(first.store.authenticate(approverToken)?.name).toBe('approver');
    // the deployer and the approver can also read the releases they act on; the viewer only reads
    expect(lines.map((l) => l.slice(l.lastIndexOf(':') + 1))).toEqual([
      'deployer+viewer',
      'approver+viewer',
      'viewer',
    ]);

    const second = await loadTokenStore({ env: {}, dataDir });
    expect(second.source).toBe('reused');
    expect(second.store.authenticate(approverToken)?.name).toBe('approver');
  });

  it('refuses to start with no tokens and no data directory', async () => {
    await expect(loadTokenStore({ env: {} })).rejects.toThrow('no API tokens are configured');
  });
});
