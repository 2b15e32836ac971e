/**
 * What the engine does in a cluster, as RBAC sees it. Each Kubernetes provider keeps one table of
 * the verbs it uses on each resource, next to its code (IstioRouter's ISTIO_ACCESS, …,
 * KubernetesWorkloadManager's DEPLOYMENT_ACCESS): the pre-flight asks the API server whether the
 * worker may do each of them for a release's objects (SelfSubjectAccessReview), and
 * test/unit/rbac-access.test.ts checks deploy/rbac.yaml grants exactly the union of the tables.
 */
import type { ObjectKind } from './object-model.js';

/** An RBAC verb the engine uses. */
export type Verb = 'get' | 'create' | 'update' | 'patch' | 'delete';

/** The verbs a provider uses on one resource ("deployments/scale" for a subresource). */
export interface AccessRule {
  group: string;
  resource: string;
  verbs: readonly Verb[];
}

/** One thing a release will do: a verb on a resource in a namespace, on one object when named. */
export interface AccessRequirement {
  verb: Verb;
  group: string;
  resource: string;
  subresource?: string;
  namespace: string;
  /** Absent for create (RBAC cannot restrict it by name). */
  name?: string;
}

/** The table row for `verbs` on a kind of object, or on one of its subresources. */
export function accessRule(
  kind: Pick<ObjectKind, 'group' | 'plural'>,
  verbs: readonly Verb[],
  subresource?: string,
): AccessRule {
  return {
    group: kind.group,
    resource: subresource ? `${kind.plural}/${subresource}` : kind.plural,
    verbs,
  };
}

/**
 * What a release needs of one row for one object: every verb of the row unless `verbs` picks some
 * (each must be in the row, so the table stays the one list). Create carries no name.
 */
export function requirementsOf(
  rule: AccessRule,
  namespace: string,
  name: string,
  verbs: readonly Verb[] = rule.verbs,
): AccessRequirement[] {
  const [resource = rule.resource, subresource] = rule.resource.split('/');
  return verbs.map((verb) => {
    if (!rule.verbs.includes(verb))
      throw new Error(`${verb} is not in the access table's row for ${rule.resource}`);
    return {
      verb,
      group: rule.group,
      resource,
      ...(subresource ? { subresource } : {}),
      namespace,
      ...(verb === 'create' ? {} : { name }),
    };
  });
}

/** "update virtualservices.networking.istio.io" / "patch deployments/scale (apps)", for messages. */
export function describeVerb(requirement: AccessRequirement): string {
  const resource = requirement.subresource
    ? `${requirement.resource}/${requirement.subresource}`
    : requirement.resource;
  return `${requirement.verb} ${resource}${requirement.group ? ` (${requirement.group})` : ' (core)'}`;
}
