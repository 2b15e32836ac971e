/**
 * A small dynamic client over CustomObjectsApi (or an adapter with the same calls) for the objects
 * the engine changes (CRDs, Ingress, Deployments): get, create, delete, and an optimistic
 * read–modify–write that retries on conflicts.
 *
 * Optimistic writes: `update` reads the object, applies a change to a copy, and replaces it with
 * the resourceVersion it read. When another writer changed the object in between, the API server
 * answers 409 and `update` starts again from a fresh read, so no one's change is lost.
 * Listeners (the worker's /metrics) hear of every optimistic write and every conflict.
 */
import { isDeepStrictEqual } from 'node:util';
import { ApiException } from '@kubernetes/client-node';
import { ConflictRetriesExhaustedError, KubeRequestError, ObjectNotFoundError } from './errors.js';
import { foreignMessage, statusLine } from '../../core/foreign-text.js';
import { describeRef, type KubeObject, type ObjectRef } from './object-model.js';

// the object vocabulary lives in object-model.ts; re-exported so importers keep this one path
export {
  describeRef,
  KINDS,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  newObject,
  objectRef,
  type KubeObject,
  type ObjectKind,
  type ObjectMeta,
  type ObjectRef,
} from './object-model.js';

/** Changes a copy of the object in place; return false to say "nothing to change". */
export type Mutation = (draft: KubeObject) => void | boolean;

export interface UpdateResult {
  object: KubeObject;
  /** False when the object already looked as wanted, so nothing was written. */
  written: boolean;
  /** Writes attempted: more than one means other writers raced us. */
  attempts: number;
}

export interface ObjectStoreOptions {
  /** Attempts of one optimistic update before giving up (each after a fresh read). */
  maxAttempts?: number;
  /** Base pause between attempts, grown linearly, with jitter. */
  backoffMs?: number;
}

/** Addresses one object in API calls. */
export interface ObjectParams {
  group: string;
  version: string;
  namespace: string;
  plural: string;
  name: string;
}

/**
 * The calls ObjectStore makes. CustomObjectsApi has them (for any group, Ingress included); a typed
 * API such as AppsV1Api can be adapted to them for its kind.
 */
export interface ObjectApi {
  getNamespacedCustomObject(param: ObjectParams): Promise<unknown>;
  createNamespacedCustomObject(
    param: Omit<ObjectParams, 'name'> & { body: object },
  ): Promise<unknown>;
  deleteNamespacedCustomObject(param: ObjectParams): Promise<unknown>;
  replaceNamespacedCustomObject(param: ObjectParams & { body: object }): Promise<unknown>;
}

/** What a listener hears: an optimistic write ended (`seconds` covers every attempt), or a 409 was retried. */
export interface ObjectWriteListener {
  written?(kind: string, outcome: 'written' | 'unchanged' | 'failed', seconds: number): void;
  conflict?(kind: string): void;
}

const writeListeners = new Set<ObjectWriteListener>();

/** Subscribes to optimistic writes of every ObjectStore in the process; returns the unsubscribe. */
export function observeObjectWrites(listener: ObjectWriteListener): () => void {
  writeListeners.add(listener);
  return () => writeListeners.delete(listener);
}

export class ObjectStore {
  private readonly maxAttempts: number;
  private readonly backoffMs: number;

  constructor(
    private readonly api: ObjectApi,
    options: ObjectStoreOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 6;
    this.backoffMs = options.backoffMs ?? 40;
  }

  /** Reads an object; ObjectNotFoundError when it does not exist. */
  async get(ref: ObjectRef): Promise<KubeObject> {
    try {
      return (await this.api.getNamespacedCustomObject(params(ref))) as KubeObject;
    } catch (error) {
      throw toKubeError(error, ref, 'get');
    }
  }

  /** Reads an object; undefined when it does not exist. */
  async find(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return await this.get(ref);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  }

  async create(ref: ObjectRef, body: KubeObject): Promise<KubeObject> {
    try {
      const { name: _name, ...collection } = params(ref);
      return (await this.api.createNamespacedCustomObject({ ...collection, body })) as KubeObject;
    } catch (error) {
      throw toKubeError(error, ref, 'create');
    }
  }

  /** Deletes an object; false when it was already gone. */
  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      await this.api.deleteNamespacedCustomObject(params(ref));
      return true;
    } catch (error) {
      const converted = toKubeError(error, ref, 'delete');
      if (converted instanceof ObjectNotFoundError) return false;
      throw converted;
    }
  }

  /**
   * Read–modify–write with the read resourceVersion; on 409 reads again and re-applies the
   * mutation (which must therefore be a function of what it reads). Skips the write when the
   * mutation changes nothing.
   */
  async update(ref: ObjectRef, mutate: Mutation): Promise<UpdateResult> {
    const startedAt = performance.now();
    const report = (outcome: 'written' | 'unchanged' | 'failed') => {
      for (const listener of writeListeners)
        listener.written?.(ref.kind, outcome, (performance.now() - startedAt) / 1000);
    };
    try {
      const result = await this.updateOptimistically(ref, mutate);
      report(result.written ? 'written' : 'unchanged');
      return result;
    } catch (error) {
      report('failed');
      throw error;
    }
  }

  private async updateOptimistically(ref: ObjectRef, mutate: Mutation): Promise<UpdateResult> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const current = await this.get(ref);
      const draft = structuredClone(current);
      if (mutate(draft) === false || isDeepStrictEqual(draft, current)) {
        return { object: current, written: false, attempts: attempt - 1 };
      }
      draft.metadata.resourceVersion = current.metadata.resourceVersion;
      try {
        const object = (await this.api.replaceNamespacedCustomObject({
          ...params(ref),
          body: draft,
        })) as KubeObject;
        return { object, written: true, attempts: attempt };
      } catch (error) {
        if (!(error instanceof ApiException) || error.code !== 409)
          throw toKubeError(error, ref, 'update');
        for (const listener of writeListeners) listener.conflict?.(ref.kind);
        await sleep(this.backoffMs * attempt * (0.5 + Math.random()));
      }
    }
    throw new ConflictRetriesExhaustedError(describeRef(ref), this.maxAttempts);
  }
}

function params(ref: ObjectRef): ObjectParams {
  return {
    group: ref.group,
    version: ref.version,
    namespace: ref.namespace,
    plural: ref.plural,
    name: ref.name,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The API server's explanation from an error body: a Status object's message, capped on one line;
 * any other body (a proxy's page) is never echoed, only the status (core/foreign-text.ts).
 */
function apiErrorDetail(error: ApiException<unknown>): string {
  let body: unknown = error.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return statusLine(error.code);
    }
  }
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string')
    return foreignMessage(body.message, 500);
  return statusLine(error.code);
}

/** Converts a client error into our hierarchy: 404 → ObjectNotFoundError, else KubeRequestError. */
export function toKubeError(
  error: unknown,
  ref: Pick<ObjectRef, 'namespace' | 'kind' | 'name'>,
  verb: string,
): Error {
  const object = describeRef(ref);
  if (error instanceof ApiException) {
    const detail = apiErrorDetail(error);
    if (error.code === 404)
      return new ObjectNotFoundError(object, detail.includes('not found') ? undefined : detail);
    return new KubeRequestError(object, verb, error.code, detail, { cause: error });
  }
  if (error instanceof ObjectNotFoundError || error instanceof KubeRequestError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new KubeRequestError(object, verb, undefined, detail, { cause: error });
}
