/**
 * Name rules shared by spec validation, PromQL rendering and routing config, and the one way
 * field paths are written in error messages. Pure, workflow-safe.
 */

/** A Kubernetes DNS-1123 label: namespaces, services, Deployments. */
export const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A Kubernetes DNS-1123 subdomain: hosts and object names that may contain dots. */
export const DNS_NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** A Kubernetes label value; versions end up in label selectors and PromQL. */
export const LABEL_VALUE_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** Renders a zod issue path as `a.b[2].c`; `root` names the empty path. */
export function formatPath(path: readonly PropertyKey[], root = '(root)'): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? root : out;
}
