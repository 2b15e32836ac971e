/**
 * From a verified token's claims to a Caller (api/auth.ts): the actor's name from the issuer's
 * `actorClaims`, roles and scopes from its rules. Every role check and scope check then happens
 * where it does for static tokens (requireRole, api/scopes.ts). Pure: no I/O, no clock.
 *
 * Several matching rules add up: the caller holds every matching rule's roles. Scopes limit the
 * whole identity (a Caller has one scope list), so when any matching rule lists scopes the caller
 * is limited to the union of the listed scopes — an unscoped rule never widens a scoped one.
 */
import { globMatches } from '../../core/globs.js';
import type { Caller, Role } from '../auth.js';
import { parseScope, type Scope } from '../scopes.js';
import type { ClaimCondition, ClaimRule, IssuerConfig } from './config.js';
import { TokenRejectedError } from './errors.js';

export type Claims = Readonly<Record<string, unknown>>;

/** The value at a claim name or dotted path (`realm_access.roles`), when there is one. */
export function claimAt(claims: Claims, path: string): unknown {
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Does one condition hold? Only strings (and lists of strings) are compared; nothing is coerced. */
export function conditionHolds(claims: Claims, condition: ClaimCondition): boolean {
  const value = claimAt(claims, condition.claim);
  if (condition.equals !== undefined) return value === condition.equals;
  if (condition.matches !== undefined)
    return typeof value === 'string' && globMatches(condition.matches, value);
  if (condition.contains !== undefined) {
    const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(' ') : [];
    return items.includes(condition.contains);
  }
  return false;
}

/** Does a rule hold (its one condition, or every condition of `all`)? */
export function ruleHolds(claims: Claims, rule: ClaimRule): boolean {
  if (rule.all) return rule.all.every((c) => conditionHolds(claims, c));
  return rule.claim !== undefined && conditionHolds(claims, { ...rule, claim: rule.claim });
}

const ACTOR_PART_RE = /^[\x21-\x7e](?:[\x20-\x7e]{0,198}[\x21-\x7e])?$/;

/**
 * The actor's name: the issuer's `actorClaims` joined with ":". A token without one of them (or
 * with one that is not printable text) cannot be recorded as anyone, so it is rejected.
 */
export function actorName(claims: Claims, issuer: IssuerConfig): string {
  const parts = issuer.actorClaims.map((path) => {
    const value = claimAt(claims, path);
    const text = typeof value === 'number' ? String(value) : value;
    if (typeof text !== 'string' || !ACTOR_PART_RE.test(text))
      throw new TokenRejectedError(
        `the token has no printable claim "${path}", which names the actor for issuer ${issuer.name}`,
        issuer.name,
      );
    return text;
  });
  return parts.join(':');
}

/** The Caller a verified token of this issuer stands for (possibly with no role at all). */
export function callerFromClaims(claims: Claims, issuer: IssuerConfig): Caller {
  const roles = new Set<Role>();
  const scopes: Scope[] = [];
  let scoped = false;
  for (const rule of issuer.rules) {
    if (!ruleHolds(claims, rule)) continue;
    rule.roles.forEach((role) => roles.add(role));
    if (rule.scopes) {
      scoped = true;
      for (const text of rule.scopes) {
        const scope = parseScope(text, `issuer ${issuer.name} rule`);
        if (!scopes.some((s) => s.namespace === scope.namespace && s.service === scope.service))
          scopes.push(scope);
      }
    }
  }
  return { name: actorName(claims, issuer), roles, ...(scoped ? { scopes } : {}) };
}

/** The claims a session keeps: the ones the actor and the rules read (top-level names). */
export function claimsToKeep(issuer: IssuerConfig): string[] {
  const paths = [
    ...issuer.actorClaims,
    ...issuer.rules.flatMap((r) => [r.claim, ...(r.all ?? []).map((c) => c.claim)]),
  ];
  const names = paths.filter((p): p is string => p !== undefined).map((p) => p.split('.')[0]);
  return [...new Set(['sub', ...names])].filter((n): n is string => n !== undefined);
}
