/**
 * deploy/rbac.yaml grants exactly what the engine's providers say they do (activities/kube/access.ts):
 * the union of every provider's access table, resource by resource, no verb more or less. The
 * pre-flight asks the API server about each row for a release's objects, so a verb used in code but
 * missing from the manifest would refuse every release, and one granted but never used is a right
 * the engine need not hold.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { requirementsOf, type AccessRule } from '../../activities/kube/access.js';
import { SERVICE_ACCESS } from '../../activities/kube/preflight-checks.js';
import { GATEWAY_API_ACCESS } from '../../activities/routers/gateway-api.js';
import { ISTIO_ACCESS } from '../../activities/routers/istio.js';
import { NGINX_ACCESS } from '../../activities/routers/nginx.js';
import { TRAEFIK_ACCESS } from '../../activities/routers/traefik.js';
import { DEPLOYMENT_ACCESS } from '../../activities/workloads/kubernetes-preflight.js';

/** Every provider's table (and the pre-flight's own row). */
const TABLES: AccessRule[] = [
  ...Object.values(ISTIO_ACCESS),
  ...Object.values(GATEWAY_API_ACCESS),
  ...Object.values(NGINX_ACCESS),
  ...Object.values(TRAEFIK_ACCESS),
  ...Object.values(DEPLOYMENT_ACCESS),
  SERVICE_ACCESS,
];

interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** "group resource" → sorted verbs. */
function byResource(rules: { group: string; resource: string; verbs: readonly string[] }[]) {
  const map = new Map<string, Set<string>>();
  for (const rule of rules) {
    const key = `${rule.group} ${rule.resource}`;
    const verbs = map.get(key) ?? new Set<string>();
    for (const verb of rule.verbs) verbs.add(verb);
    map.set(key, verbs);
  }
  return Object.fromEntries([...map].map(([key, verbs]) => [key, [...verbs].sort()]));
}

function manifestRules(): RbacRule[] {
  const docs = parseAllDocuments(
    readFileSync(new URL('../../deploy/rbac.yaml', import.meta.url), 'utf8'),
  ).map((d) => d.toJS() as { kind: string; rules?: RbacRule[] });
  return docs.find((d) => d.kind === 'ClusterRole')?.rules ?? [];
}

describe('the access tables and deploy/rbac.yaml', () => {
  it('grant exactly the same verbs on the same resources', () => {
    const granted = manifestRules().flatMap((rule) =>
      rule.apiGroups.flatMap((group) =>
        rule.resources.map((resource) => ({ group, resource, verbs: rule.verbs })),
      ),
    );
    expect(byResource(granted)).toEqual(byResource(TABLES));
  });

  it('ask about a subresource as the API server names it, and about create without a name', () => {
    expect(requirementsOf(DEPLOYMENT_ACCESS.scale, 'team-a', 'web-canary')).toEqual([
      {
        verb: 'patch',
        group: 'apps',
        resource: 'deployments',
        subresource: 'scale',
        namespace: 'team-a',
        name: 'web-canary',
      },
    ]);
    expect(requirementsOf(NGINX_ACCESS.ingress, 'team-a', 'web-canary', ['create'])).toEqual([
      {
        verb: 'create',
        group: 'networking.k8s.io',
        resource: 'ingresses',
        namespace: 'team-a',
      },
    ]);
  });

  it('refuse a verb that is not in the provider’s own row', () => {
    expect(() =>
      requirementsOf(ISTIO_ACCESS.destinationRule, 'team-a', 'reviews', ['update']),
    ).toThrow("update is not in the access table's row for destinationrules");
  });
});
