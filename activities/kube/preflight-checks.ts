/**
 * The pre-flight's checks of a cluster, shared by every Kubernetes router and the workload manager:
 * the objects a release names exist (or may be absent, when the engine creates them), those it
 * changes opt in (./opt-in.ts), the Services a router names exist, and the worker's identity may do
 * every verb the release will use (SelfSubjectAccessReview, one per requirement of ./access.ts).
 * Each check reports problems; only an error a retry may fix (the API server did not answer) is
 * thrown, so the activity is retried instead of the release refused.
 */
import type { AuthorizationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { foreignMessage } from '../../core/foreign-text.js';
import { problemOf, type PreflightProblem } from '../../core/preflight.js';
import { accessRule, describeVerb, type AccessRequirement } from './access.js';
import { ObjectNotFoundError } from './errors.js';
import {
  describeRef,
  toKubeError,
  type KubeObject,
  type ObjectRef,
  type ObjectStore,
} from './objects.js';
import { optInProblem } from './opt-in.js';

/** One object a release names, and how the pre-flight treats it. */
export interface ObjectCheck {
  ref: ObjectRef;
  /** False when the engine creates it if it is absent (NGINX's canary Ingress, a cohort route). */
  mustExist: boolean;
  /**
   * True when it must opt in: the release changes it, or builds on it (NGINX's stable Ingress).
   * Objects that are only read need not.
   */
  optIn: boolean;
  /** More checks of the object found (its shape); may throw a non-retryable engine error. */
  inspect?: (object: KubeObject) => string[] | void;
}

/** The body kube-apiserver sends for a resource type it does not serve (no such CRD installed). */
const TYPE_NOT_SERVED = 'could not find the requested resource';

/** Existence, opt-in and shape of each object, in order; all problems, none thrown. */
export async function objectProblems(
  store: ObjectStore,
  checks: readonly ObjectCheck[],
  service: string,
): Promise<PreflightProblem[]> {
  const problems: PreflightProblem[] = [];
  for (const check of checks) {
    const object = describeRef(check.ref);
    let found: KubeObject | undefined;
    try {
      found = await store.get(check.ref);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) {
        if (error.message.includes(TYPE_NOT_SERVED))
          problems.push({
            object,
            message: `cannot exist: this cluster does not serve ${check.ref.plural}.${check.ref.group}/${check.ref.version} (is its CRD installed?)`,
          });
        else if (check.mustExist) problems.push({ object, message: 'does not exist' });
        continue;
      }
      problems.push(problemOf(error, object) ?? rethrow(error));
      continue;
    }
    const refusal = check.optIn ? optInProblem(found, check.ref, service) : undefined;
    if (refusal) {
      problems.push(refusal); // one problem per object: its shape matters once it may be changed
      continue;
    }
    try {
      for (const message of check.inspect?.(found) ?? []) problems.push({ object, message });
    } catch (error) {
      problems.push(problemOf(error, object) ?? rethrow(error));
    }
  }
  return problems;
}

function rethrow(error: unknown): never {
  throw error;
}

/**
 * What the pre-flight itself does in a cluster: read the Services a router names. (Asking what the
 * worker may do, SelfSubjectAccessReview, is every authenticated identity's right by default.)
 */
export const SERVICE_ACCESS = accessRule({ group: '', plural: 'services' }, ['get']);

/**
 * The checks that need more of the cluster than an ObjectStore: Services and access reviews. The
 * factories give one to each Kubernetes provider; a provider built without one (a router's own
 * tests) checks only its objects.
 */
export class ClusterChecks {
  constructor(private readonly clients: { core: CoreV1Api; authorization: AuthorizationV1Api }) {}

  /** Each named Service in `namespace` that does not exist. */
  async serviceProblems(namespace: string, names: readonly string[]): Promise<PreflightProblem[]> {
    const problems: PreflightProblem[] = [];
    for (const name of new Set(names)) {
      const ref = { namespace, kind: 'Service', name };
      try {
        await this.clients.core.readNamespacedService({ name, namespace });
      } catch (error) {
        const converted = toKubeError(error, ref, 'get');
        if (converted instanceof ObjectNotFoundError)
          problems.push({ object: describeRef(ref), message: 'does not exist' });
        else problems.push(problemOf(converted, describeRef(ref)) ?? rethrow(converted));
      }
    }
    return problems;
  }

  /** Every requirement the worker's identity is denied, one problem each (naming verb and resource). */
  async accessProblems(requirements: readonly AccessRequirement[]): Promise<PreflightProblem[]> {
    const unique = [...new Map(requirements.map((r) => [JSON.stringify(r), r])).values()];
    const reviews = await Promise.all(unique.map((r) => this.review(r)));
    return unique.flatMap((requirement, i) => {
      const denied = reviews[i];
      if (denied === undefined) return [];
      const object = `${requirement.namespace}/${requirement.resource}${requirement.name ? `/${requirement.name}` : ''}`;
      return [
        {
          object,
          message: `the worker may not ${describeVerb(requirement)} here${denied ? ` (${denied})` : ''}: grant it, as deploy/rbac.yaml does`,
        },
      ];
    });
  }

  /** undefined when allowed; otherwise the API server's reason (possibly empty). */
  private async review(requirement: AccessRequirement): Promise<string | undefined> {
    const { verb, group, resource, subresource, namespace, name } = requirement;
    try {
      const answer = await this.clients.authorization.createSelfSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: {
            resourceAttributes: { verb, group, resource, subresource, namespace, name },
          },
        },
      });
      if (answer.status?.allowed) return undefined;
      return foreignMessage(answer.status?.reason ?? '', 200);
    } catch (error) {
      const converted = toKubeError(
        error,
        { namespace, kind: 'SelfSubjectAccessReview', name: `${verb}-${resource}` },
        'create',
      );
      const problem = problemOf(converted, 'SelfSubjectAccessReview') ?? rethrow(converted);
      return `cannot be checked: ${problem.message}`;
    }
  }
}
