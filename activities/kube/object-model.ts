/**
 * What a Kubernetes object is to the engine: how a resource type and one object are addressed, the
 * JSON shape routers and workloads read and write, the resource types the engine manages, the
 * managed-by label, and how messages name an object. Types and pure constructors only; the client
 * that reads and writes them is ObjectStore in objects.ts.
 */

/** A resource type, as the API addresses it. */
export interface ObjectKind {
  group: string;
  version: string;
  kind: string;
  plural: string;
}

/** One namespaced object. */
export interface ObjectRef extends ObjectKind {
  namespace: string;
  name: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** A Kubernetes object as JSON; routers read and write its fields through their own narrow types. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** The resource types the engine manages: the routers' objects and the workloads' Deployments. */
export const KINDS = {
  virtualService: {
    group: 'networking.istio.io',
    version: 'v1',
    kind: 'VirtualService',
    plural: 'virtualservices',
  },
  destinationRule: {
    group: 'networking.istio.io',
    version: 'v1',
    kind: 'DestinationRule',
    plural: 'destinationrules',
  },
  httpRoute: {
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    kind: 'HTTPRoute',
    plural: 'httproutes',
  },
  ingress: { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses' },
  traefikService: {
    group: 'traefik.io',
    version: 'v1alpha1',
    kind: 'TraefikService',
    plural: 'traefikservices',
  },
  ingressRoute: {
    group: 'traefik.io',
    version: 'v1alpha1',
    kind: 'IngressRoute',
    plural: 'ingressroutes',
  },
  deployment: { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments' },
} as const satisfies Record<string, ObjectKind>;

/** Labels every object the engine creates carries, so people and cleanup can recognise them. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'canary-engine';

export function objectRef(kind: ObjectKind, namespace: string, name: string): ObjectRef {
  return { ...kind, namespace, name };
}

/** "namespace/Kind/name", the way every message names an object. */
export function describeRef(ref: Pick<ObjectRef, 'namespace' | 'kind' | 'name'>): string {
  return `${ref.namespace}/${ref.kind}/${ref.name}`;
}

/** A fresh object of a kind, for `create`. */
export function newObject(
  ref: ObjectRef,
  fields: Omit<KubeObject, 'apiVersion' | 'kind' | 'metadata'> & { metadata?: Partial<ObjectMeta> },
): KubeObject {
  const { metadata, ...rest } = fields;
  return {
    apiVersion: `${ref.group}/${ref.version}`,
    kind: ref.kind,
    metadata: { ...metadata, name: ref.name, namespace: ref.namespace },
    ...rest,
  };
}
