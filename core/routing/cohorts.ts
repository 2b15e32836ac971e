/**
 * What a cohort means on the wire, independent of the router: a condition on one request header
 * or one query parameter. Each router renders these conditions in its own syntax (Istio match,
 * Gateway API header and query matches, Traefik rule, NGINX annotations). Pure and workflow-safe.
 */
import { bucketRegex } from './buckets.js';
import type { Cohort } from './config.js';

/** A condition on one request header; header names are lowercase (HTTP/2 and Istio require it). */
export interface HeaderCondition {
  header: string;
  kind: 'exact' | 'regex';
  value: string;
}

/** A condition on one query parameter; a regex must match the whole value (anchored). */
export interface QueryCondition {
  query: string;
  kind: 'exact' | 'regex';
  value: string;
}

/** What selects a cohort's requests. */
export type RequestCondition = HeaderCondition | QueryCondition;

/** Whether a condition is on a query parameter (else on a header). */
export function isQueryCondition(condition: RequestCondition): condition is QueryCondition {
  return 'query' in condition;
}

/** Escapes text for use inside a regular expression (RE2, PCRE and JavaScript agree on these). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A regular expression for the Cookie header that matches when it contains `name=value` as a whole
 * cookie: at the start or after "; ", and followed by ";" or the end, so `xtenantGray=1` and
 * `tenantGray=10` do not match `tenantGray=1`. RE2-compatible (no lookaround).
 */
export function cookieHeaderRegex(name: string, value: string): string {
  return `^(.*?;\\s*)?${escapeRegExp(name)}=${escapeRegExp(value)}(;.*)?$`;
}

/**
 * The condition that selects a cohort's requests. A user bucket becomes a regex over the id's
 * trailing digits; `idFormat: "any"` has none (only the sandbox hashes ids, and
 * routerCohortProblems refuses it for every other router at submission).
 */
export function cohortCondition(cohort: Cohort): RequestCondition {
  switch (cohort.type) {
    case 'header':
      return { header: cohort.name.toLowerCase(), kind: 'exact', value: cohort.value };
    case 'headerRegex':
      return { header: cohort.name.toLowerCase(), kind: 'regex', value: cohort.regex };
    case 'cookie':
      return {
        header: 'cookie',
        kind: 'regex',
        value: cookieHeaderRegex(cohort.name, cohort.value),
      };
    case 'userBucket':
      if (cohort.idFormat === 'any')
        throw new Error(
          'a userBucket cohort with idFormat "any" has no header regex (sandbox only)',
        );
      return {
        header: cohort.header.toLowerCase(),
        kind: 'regex',
        value: bucketRegex(cohort.idFormat, cohort.percent),
      };
    case 'queryParam':
      return cohort.regex === undefined
        ? { query: cohort.name, kind: 'exact', value: cohort.value ?? '' }
        : { query: cohort.name, kind: 'regex', value: `^(?:${cohort.regex})$` };
    default: {
      const unknown: never = cohort;
      throw new Error(`unknown cohort type in ${JSON.stringify(unknown)}`);
    }
  }
}
