/**
 * Token scopes: which namespaces and services a token may start, act on, read and list. This file is
 * the one place that decides "may this caller touch namespace/service" (`mayTouch`); routes call
 * `requireScope` before they touch a release and `scopeFilter` to narrow a list. A token without
 * scopes (every entry written before scopes existed) may touch everything, as before.
 *
 * A scope is `namespace` or `namespace/service`, each part a DNS label in which `*` matches any run
 * of characters: `team-a`, `team-a/web`, `team-*`, `*\/web`, `prod-*\/api-*`.
 */
import { globMatches } from '../core/globs.js';
import { releaseWorkflowId } from '../core/spec.js';
import { ProblemError } from './problems.js';

/** One scope: a namespace pattern and a service pattern (`*` when the scope names no service). */
export interface Scope {
  namespace: string;
  service: string;
}

/** What a release runs against: the two names every scope decision is about. */
export interface ScopeTarget {
  namespace: string;
  service: string;
}

/** A DNS label in which `*` may stand for any run of characters. */
const PATTERN_RE = /^(?=.{1,63}$)[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?$/;

/**
 * Parses one scope. `where` says where it came from, for the message (e.g. "CANARY_API_TOKENS
 * entry 2"); the message quotes the scope, which never holds a secret.
 */
export function parseScope(text: string, where: string): Scope {
  const parts = text.trim().split('/');
  const [namespace, service = '*'] = parts;
  if (
    parts.length > 2 ||
    namespace === undefined ||
    !PATTERN_RE.test(namespace) ||
    !PATTERN_RE.test(service)
  )
    throw new Error(
      `${where}: scope ${JSON.stringify(text.trim())} must be "namespace" or "namespace/service" (lowercase DNS labels, "*" matches any characters)`,
    );
  return { namespace, service };
}

/** Renders a scope as it is written in a token entry. */
export function formatScope(scope: Scope): string {
  return scope.service === '*' ? scope.namespace : `${scope.namespace}/${scope.service}`;
}

/**
 * The one rule: may a caller with these scopes touch this namespace/service? `undefined` scopes (an
 * unscoped token) may touch everything.
 */
export function mayTouch(scopes: readonly Scope[] | undefined, target: ScopeTarget): boolean {
  if (scopes === undefined) return true;
  return scopes.some(
    (s) => globMatches(s.namespace, target.namespace) && globMatches(s.service, target.service),
  );
}

/** The namespace and service of a release from its workflow id (core/spec.ts releaseWorkflowId). */
export function releaseTarget(workflowId: string): ScopeTarget | undefined {
  // namespace and service are DNS labels: no "." in either, so the split is exact
  const [, namespace, service] = workflowId.split('.');
  if (!namespace || !service || releaseWorkflowId(namespace, service) !== workflowId)
    return undefined;
  return { namespace, service };
}

/** May a caller with these scopes see the release of this workflow id (in a list)? */
export function mayTouchWorkflow(
  scopes: readonly Scope[] | undefined,
  workflowId: string,
): boolean {
  if (scopes === undefined) return true;
  const target = releaseTarget(workflowId);
  return target !== undefined && mayTouch(scopes, target);
}

/** What a scoped caller is, for the check. */
export interface ScopedCaller {
  name: string;
  scopes?: readonly Scope[];
}

/**
 * Throws a 403 problem naming the token's scopes and the release's namespace/service unless the
 * caller may touch it. `what` says what was attempted ("start release web-v2", "read release x").
 * A release whose workflow id is not ours (`target` undefined) is refused to any scoped caller.
 */
export function requireScope(
  caller: ScopedCaller,
  target: ScopeTarget | undefined,
  what: string,
): void {
  if (caller.scopes === undefined) return;
  if (target && mayTouch(caller.scopes, target)) return;
  const scopes = caller.scopes.map(formatScope);
  const where = target
    ? `namespace ${target.namespace}, service ${target.service}`
    : 'a workflow whose namespace and service are unknown';
  throw new ProblemError(
    403,
    'forbidden',
    `the token of ${caller.name} may not ${what}: it is scoped to ${scopes.join(', ') || '(nothing)'}, and the release is in ${where}`,
    {
      scopes,
      ...(target ? { namespace: target.namespace, service: target.service } : {}),
    },
  );
}

/**
 * A visibility query clause that keeps a list to the caller's scopes, when the scopes can be said
 * in the query (no `*` inside a name); undefined when they cannot (or the caller is unscoped), and
 * the list is then filtered with `mayTouch` after reading. Values are DNS labels (checked by
 * parseScope), so they cannot escape the query's strings.
 */
export function scopeClause(scopes: readonly Scope[] | undefined): string | undefined {
  if (scopes === undefined || scopes.length === 0) return undefined;
  const exact = (p: string) => !p.includes('*');
  if (!scopes.every((s) => exact(s.namespace) && (s.service === '*' || exact(s.service))))
    return undefined;
  const one = (s: Scope) =>
    s.service === '*'
      ? `CanaryNamespace = "${s.namespace}"`
      : `(CanaryNamespace = "${s.namespace}" AND CanaryService = "${s.service}")`;
  return `(${scopes.map(one).join(' OR ')})`;
}
