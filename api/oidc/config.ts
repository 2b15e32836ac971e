/**
 * The `auth` section of the operator's engine config (worker/engine-config.ts): which OIDC issuers
 * the API trusts for bearer JWTs (GitHub Actions for CI, the company's identity provider for
 * people), how their claims become roles and scopes, and the dashboard's sign-in (authorization
 * code + PKCE) against one of them. Everything here is operator config: nothing a request carries
 * picks an issuer, a key address, a redirect target or a credential.
 */
import { z } from 'zod';
import { parseDuration } from '../../core/duration.js';
import { secretRef as secretRefSchema } from '../../worker/config-fields.js';
import { ROLES } from '../auth.js';
import { parseScope } from '../scopes.js';

/**
 * Asymmetric JWS algorithms only: `none` and the HMAC family (HS*) make no sense with a JWKS (an
 * HS token "verified" with a public key is the classic algorithm-confusion attack).
 */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/** http:// only for a loopback host (a local test identity provider); anything else is https. */
const LOOPBACK_RE = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/i;
const oidcUrl = z
  .string()
  .url('must be an https:// URL')
  .refine((u) => /^https:\/\//i.test(u) || LOOPBACK_RE.test(u), {
    message: 'must be an https:// URL (http:// only for localhost)',
  })
  .refine((u) => !/[?#]/.test(u), { message: 'must have no query or fragment' });

const duration = (max: string, maxMs: number) =>
  z.string().refine((t) => (parseDuration(t) ?? Infinity) <= maxMs, {
    message: `must be a duration such as "30s" or "5m", at most ${max}`,
  });

/** A claim name, or a dotted path into nested claims (Keycloak's `realm_access.roles`). */
const claimPath = z
  .string()
  .regex(/^[A-Za-z0-9_:$-]{1,128}(\.[A-Za-z0-9_:$-]{1,128}){0,4}$/, 'must be a claim name');

const scope = z.string().superRefine((text, ctx) => {
  try {
    parseScope(text, 'scope');
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'must be "namespace" or "namespace/service" (lowercase DNS labels, "*" any run)',
    });
  }
});

const conditionShape = {
  /** The claim (or dotted path) the condition reads. */
  claim: claimPath,
  /** The claim is this string. */
  equals: z.string().min(1).max(1024).optional(),
  /** The claim is a list holding this string (or a space-separated string with it as a word). */
  contains: z.string().min(1).max(1024).optional(),
  /** The claim is a string matching this pattern, whose `*` stands for any run of characters. */
  matches: z.string().min(1).max(1024).optional(),
};
const oneTest = (c: { equals?: string; contains?: string; matches?: string }) =>
  [c.equals, c.contains, c.matches].filter((v) => v !== undefined).length === 1;
const ONE_TEST = 'give exactly one of equals, contains, matches';

const conditionSchema = z.strictObject(conditionShape).refine(oneTest, { message: ONE_TEST });

/**
 * One rule: when its condition holds (`claim` with one test, or every condition in `all`), the
 * caller gets `roles`, limited to `scopes` when given.
 */
const ruleSchema = z
  .strictObject({
    claim: claimPath.optional(),
    equals: conditionShape.equals,
    contains: conditionShape.contains,
    matches: conditionShape.matches,
    all: z.array(conditionSchema).min(1).max(16).optional(),
    roles: z.array(z.enum(ROLES)).min(1),
    scopes: z.array(scope).min(1).optional(),
  })
  .superRefine((rule, ctx) => {
    const tested = rule.equals ?? rule.contains ?? rule.matches;
    if (rule.all !== undefined) {
      if (rule.claim !== undefined || tested !== undefined)
        ctx.addIssue({ code: 'custom', message: 'give either claim (with a test) or all' });
    } else if (rule.claim === undefined) {
      ctx.addIssue({ code: 'custom', path: ['claim'], message: 'give claim (or all)' });
    } else if (!oneTest(rule)) {
      ctx.addIssue({ code: 'custom', message: ONE_TEST });
    }
  });

const issuerName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a lowercase name (a DNS label)');

const issuerSchema = z.strictObject({
  /** The name other settings use (login.issuer) and messages show. */
  name: issuerName,
  /** The `iss` of its tokens, exactly; discovery is at <issuer>/.well-known/openid-configuration. */
  issuer: oidcUrl,
  /** The JWKS address, when discovery should be skipped. */
  jwksUri: oidcUrl.optional(),
  /** A token's `aud` must hold one of these. */
  audiences: z.array(z.string().min(1).max(512)).min(1),
  algorithms: z
    .array(z.enum(JWT_ALGORITHMS))
    .min(1)
    .default([...JWT_ALGORITHMS]),
  /** Tolerance for the clocks of the issuer and the API (exp, nbf, iat). */
  clockSkew: duration('5m', 300_000).default('30s'),
  /** Claims that make the actor's name, joined with ":" (GitHub: ["repository", "workflow"]). */
  actorClaims: z.array(claimPath).min(1).max(4).default(['sub']),
  rules: z.array(ruleSchema).min(1),
});

const loginSchema = z.strictObject({
  /** The issuer (by name) people sign in with. */
  issuer: issuerName,
  clientId: z.string().min(1).max(512),
  clientSecret: secretRefSchema.optional(),
  /** How the client secret is sent to the token endpoint. */
  tokenEndpointAuth: z
    .enum(['client_secret_basic', 'client_secret_post'])
    .default('client_secret_basic'),
  /**
   * The API's callback as the browser reaches it, registered at the identity provider: ends in
   * /ui/auth/callback. Its origin is the API's public origin (cookie-authenticated writes must come
   * from it; cookies are Secure when it is https).
   */
  redirectUrl: z
    .string()
    .url('must be a URL')
    .refine((u) => /^https?:\/\/[^?#]*\/ui\/auth\/callback$/i.test(u), {
      message: 'must be an http(s) URL ending in /ui/auth/callback, without query or fragment',
    }),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'must be an OAuth scope'))
    .refine((s) => s.includes('openid'), { message: 'must include "openid"' })
    .default(['openid', 'profile', 'email']),
  /** How long a dashboard session lasts before signing in again. */
  sessionTtl: duration('7d', 7 * 86_400_000).default('8h'),
  /**
   * Key material (at least 32 characters) that encrypts the session and sign-in cookies; shared by
   * every API replica. Without it a key is generated at start: sessions end with the process.
   */
  sessionKey: secretRefSchema.optional(),
});

const oidcSchema = z
  .strictObject({
    issuers: z.array(issuerSchema).min(1),
    login: loginSchema.optional(),
  })
  .superRefine((oidc, ctx) => {
    const seen = { names: new Set<string>(), urls: new Set<string>() };
    oidc.issuers.forEach((issuer, i) => {
      if (seen.names.has(issuer.name))
        ctx.addIssue({ code: 'custom', path: ['issuers', i, 'name'], message: 'is not unique' });
      if (seen.urls.has(issuer.issuer))
        ctx.addIssue({
          code: 'custom',
          path: ['issuers', i, 'issuer'],
          message: 'is configured twice (merge the rules into one entry)',
        });
      seen.names.add(issuer.name);
      seen.urls.add(issuer.issuer);
    });
    if (oidc.login && !seen.names.has(oidc.login.issuer))
      ctx.addIssue({
        code: 'custom',
        path: ['login', 'issuer'],
        message: `must name one of issuers (${[...seen.names].join(', ')})`,
      });
  });

export const authConfigSchema = z.strictObject({
  /** OIDC issuers whose JWTs the API accepts, and the dashboard's sign-in. */
  oidc: oidcSchema.optional(),
});

export type AuthConfig = z.output<typeof authConfigSchema>;
export type OidcConfig = z.output<typeof oidcSchema>;
export type IssuerConfig = z.output<typeof issuerSchema>;
export type LoginConfig = z.output<typeof loginSchema>;
export type ClaimRule = z.output<typeof ruleSchema>;
export type ClaimCondition = z.output<typeof conditionSchema>;
