/**
 * Bearer tokens with roles. A token is configured as `token:role+role`, or `name=token:role+role`
 * so that the actor recorded in a release's history has a readable name; an unnamed token's actor
 * is `token-<first 6 hex chars of its sha256>`. Tokens are kept only as sha256 digests and compared
 * in constant time; they are never logged. Roles: `deployer` starts releases, `approver` approves,
 * aborts, pauses, resumes and promotes them, `viewer` reads them.
 *
 * An entry may end in `@scope;scope` (`name=token:deployer+viewer@team-a;team-b/web-*`): the token
 * then starts, acts on, reads and lists only releases in those namespaces or namespace/service
 * patterns (api/scopes.ts decides). An entry without scopes may touch every release, as before.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context, MiddlewareHandler } from 'hono';
import { ProblemError } from './problems.js';
import { parseScope, type Scope } from './scopes.js';

export const ROLES = ['deployer', 'approver', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the actor name recorded with every action, and what they may do. */
export interface Caller {
  name: string;
  roles: ReadonlySet<Role>;
  /** The namespaces or namespace/service patterns the token is limited to; undefined: all. */
  scopes?: readonly Scope[];
  /** How the caller signed in: a static token, an OIDC JWT, or the dashboard's session cookie. */
  via?: 'token' | 'jwt' | 'session';
}

export interface TokenEntry {
  name: string;
  token: string;
  roles: Role[];
  /** Undefined for an unscoped token (api/scopes.ts). */
  scopes?: Scope[];
}

/** Tokens may not contain the separators of the configuration format. */
const TOKEN_RE = /^[A-Za-z0-9._~+/-]{16,256}$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const TOKENS_FILE_NAME = 'api-tokens';

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** The actor name of an unnamed token. */
export function anonymousTokenName(token: string): string {
  return `token-${digest(token).toString('hex').slice(0, 6)}`;
}

/** Scopes of an entry: the `;`-separated list after `@`, never empty when present. */
function parseScopes(text: string, where: string): Scope[] {
  const parts = text.split(';').map((s) => s.trim());
  if (parts.some((s) => s === ''))
    throw new Error(
      `${where}: after "@" list scopes separated by ";" (e.g. team-a;team-b/web), none empty`,
    );
  return parts.map((s) => parseScope(s, where));
}

/**
 * Parses one `[name=]token:role+role[@scope;scope]` entry. `where` says where it came from, for
 * the message (which never repeats the token itself).
 */
export function parseTokenEntry(text: string, where: string): TokenEntry {
  const entry = text.trim();
  const colon = entry.lastIndexOf(':');
  if (colon < 0)
    throw new Error(`${where}: expected [name=]token:role+role, found no ":" before the roles`);
  const left = entry.slice(0, colon);
  const afterColon = entry.slice(colon + 1);
  // "@" occurs in neither tokens nor roles: everything after it is the scope list
  const at = afterColon.indexOf('@');
  const roleText = at >= 0 ? afterColon.slice(0, at) : afterColon;
  const scopes = at >= 0 ? parseScopes(afterColon.slice(at + 1), where) : undefined;
  const eq = left.indexOf('=');
  const name = eq >= 0 ? left.slice(0, eq) : undefined;
  const token = eq >= 0 ? left.slice(eq + 1) : left;
  if (name !== undefined && !NAME_RE.test(name))
    throw new Error(`${where}: the name must be 1-64 letters, digits, "_", ".", "@" or "-"`);
  if (!TOKEN_RE.test(token))
    throw new Error(
      `${where}: the token must be 16-256 characters of letters, digits, ".", "_", "~", "+", "/" or "-"`,
    );
  const roles = roleText.split('+').map((r) => r.trim());
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (roles.length === 0 || unknown.length > 0) {
    // quote only what looks like a role name: a token pasted where the roles go must not reach the logs
    const shown = unknown.map((r) =>
      /^[a-z]{1,20}$/.test(r) ? `"${r}"` : '(a value that is not a role name; not shown)',
    );
    throw new Error(
      `${where}: unknown role ${shown.join(', ') || '""'} (roles: ${ROLES.join(', ')})`,
    );
  }
  return {
    name: name ?? anonymousTokenName(token),
    token,
    roles: [...new Set(roles as Role[])],
    ...(scopes ? { scopes } : {}),
  };
}

/** Parses a token file: one entry per line, `#` starts a comment, blank lines are ignored. */
export function parseTokenLines(text: string, source: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line !== '') entries.push(parseTokenEntry(line, `${source} line ${i + 1}`));
  });
  return entries;
}

/** Parses `CANARY_API_TOKENS`: comma-separated entries. */
export function parseTokenList(text: string, source = 'CANARY_API_TOKENS'): TokenEntry[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s, i) => parseTokenEntry(s, `${source} entry ${i + 1}`));
}

/** Authenticates presented bearer tokens against the configured ones. */
export class TokenStore {
  private readonly entries: { digest: Buffer; caller: Caller }[];

  constructor(entries: TokenEntry[]) {
    const names = new Set<string>();
    const digests = new Set<string>();
    this.entries = entries.map((entry) => {
      const d = digest(entry.token);
      if (digests.has(d.toString('hex')))
        throw new Error(`token of "${entry.name}" is configured twice`);
      if (names.has(entry.name)) throw new Error(`two tokens are named "${entry.name}"`);
      digests.add(d.toString('hex'));
      names.add(entry.name);
      const caller: Caller = {
        name: entry.name,
        roles: new Set(entry.roles),
        via: 'token',
        ...(entry.scopes ? { scopes: entry.scopes } : {}),
      };
      return { digest: d, caller };
    });
  }

  get size(): number {
    return this.entries.length;
  }

  /** The caller a token belongs to. Every configured digest is compared (no early exit). */
  authenticate(token: string): Caller | undefined {
    const presented = digest(token);
    let found: Caller | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(presented, entry.digest)) found = entry.caller;
    }
    return found;
  }
}

export interface LoadTokenStoreOptions {
  env: Record<string, string | undefined>;
  /** The local stack's data directory: where tokens are generated when none are configured. */
  dataDir?: string;
  /** Callers can sign in otherwise (OIDC issuers are configured): no static token is fine. */
  allowNone?: boolean;
}

export interface LoadedTokens {
  store: TokenStore;
  /** Where the tokens came from. */
  source: 'env' | 'file' | 'env+file' | 'generated' | 'reused';
  /** For the operator (never contains a token): e.g. where generated tokens were written. */
  message: string;
}

async function generatedTokens(dataDir: string): Promise<LoadedTokens> {
  const file = join(dataDir, TOKENS_FILE_NAME);
  const existing = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing !== undefined) {
    const mode = (await stat(file)).mode & 0o777;
    if (mode !== 0o600) await chmod(file, 0o600);
    return {
      store: new TokenStore(parseTokenLines(existing, file)),
      source: 'reused',
      message: `API tokens (one per role) are in ${file}`,
    };
  }
  // one token per role; the deployer and the approver may also read, so `canary start --wait` and
  // `canary status` work with the token that started or approved the release
  const entries: TokenEntry[] = ROLES.map((role) => ({
    name: role,
    token: randomBytes(32).toString('base64url'),
    roles: role === 'viewer' ? [role] : [role, 'viewer'],
  }));
  const text = [
    '# canary API tokens, generated for the local stack: name=token:roles (see docs/api.md).',
    '# Use one with: export CANARY_API_TOKEN=<the part between "=" and ":">',
    ...entries.map((e) => `${e.name}=${e.token}:${e.roles.join('+')}`),
    '',
  ].join('\n');
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, text, { mode: 0o600, flag: 'wx' });
  return {
    store: new TokenStore(entries),
    source: 'generated',
    message: `generated API tokens (one per role) in ${file}`,
  };
}

/**
 * The token store from `CANARY_API_TOKENS` and/or the file named by `CANARY_API_TOKENS_FILE`
 * (both may be set; their tokens are merged). When neither is set and `dataDir` is given, one token
 * per role is generated into `<dataDir>/api-tokens` (mode 0600) and reused on the next start.
 * Throws when nothing is configured and there is no `dataDir`, or when an entry is malformed.
 */
export async function loadTokenStore(options: LoadTokenStoreOptions): Promise<LoadedTokens> {
  const list = options.env.CANARY_API_TOKENS?.trim();
  const file = options.env.CANARY_API_TOKENS_FILE?.trim();
  if (list || file) {
    const entries = list ? parseTokenList(list) : [];
    if (file) entries.push(...parseTokenLines(await readFile(file, 'utf8'), file));
    if (entries.length === 0)
      throw new Error('CANARY_API_TOKENS / CANARY_API_TOKENS_FILE configure no token');
    const source = list && file ? 'env+file' : list ? 'env' : 'file';
    const from =
      source === 'env'
        ? 'CANARY_API_TOKENS'
        : source === 'file'
          ? file
          : `CANARY_API_TOKENS and ${file}`;
    return {
      store: new TokenStore(entries),
      source,
      message: `${entries.length} API token${entries.length === 1 ? '' : 's'} from ${from}`,
    };
  }
  if (options.dataDir) return generatedTokens(options.dataDir);
  if (options.allowNone)
    return {
      store: new TokenStore([]),
      source: 'env',
      message: 'no static API tokens (OIDC only)',
    };
  throw new Error(
    'no API tokens are configured: set CANARY_API_TOKENS ("name=token:role+role,...") or CANARY_API_TOKENS_FILE',
  );
}

/** Hono variables set by the auth middleware. */
export interface AuthVariables {
  caller: Caller;
}

/**
 * Who a request comes from: api/authenticator.ts reads static tokens, OIDC JWTs and the
 * dashboard's session cookie. Undefined when the request carries no credentials; a 401 (or 503,
 * when an identity provider cannot be reached) is thrown when it carries ones that do not hold.
 */
export interface Authenticator {
  authenticate(c: Context): Promise<Caller | undefined>;
}

/**
 * Middleware: requires a caller holding `role` (any caller when `role` is undefined, for
 * `GET /v1/me`). 401 (with WWW-Authenticate) without valid
 * credentials, 403 naming the role when the caller lacks it.
 */
export function requireRole(
  auth: Authenticator,
  role: Role | undefined,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const caller = await auth.authenticate(c);
    if (!caller) {
      throw new ProblemError(
        401,
        'unauthorized',
        'send a token in the Authorization header: "Authorization: Bearer <token>"',
        {},
        { 'www-authenticate': 'Bearer realm="canary"' },
      );
    }
    if (role !== undefined && !caller.roles.has(role)) {
      const held = caller.roles.size > 0 ? `has ${[...caller.roles].join(', ')}` : 'has no role';
      throw new ProblemError(
        403,
        'forbidden',
        `this call needs the ${role} role; the token of ${caller.name} ${held}`,
        { requiredRole: role },
      );
    }
    c.set('caller', caller);
    await next();
  };
}
