/**
 * What a cohort means on the wire, independent of the router: a condition on one request header.
 * Each router renders these conditions in its own syntax (Istio match, Gateway API header match,
 * Traefik rule, NGINX annotations). Pure and workflow-safe.
 */
import type { Cohort } from './config.js';

/** A condition on one request header; header names are lowercase (HTTP/2 and Istio require it). */
export interface HeaderCondition {
  header: string;
  kind: 'exact' | 'regex';
  value: string;
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

/** The header condition that selects a cohort's requests. */
export function cohortCondition(cohort: Cohort): HeaderCondition {
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
    default: {
      const unknown: never = cohort;
      throw new Error(`unknown cohort type in ${JSON.stringify(unknown)}`);
    }
  }
}
