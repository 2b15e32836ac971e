/**
 * Registers the release search attributes on a Temporal server that lacks them (a production
 * cluster or docker-compose's server; the dev server gets them from `--search-attribute`), so
 * releases can be filtered in the Temporal UI and listed by the API. Idempotent.
 *
 * A worker on a secured cluster or Temporal Cloud is often not allowed to change the namespace.
 * That is no reason to stop it: checkSearchAttributes() then says whether the attributes exist
 * and, if some are missing, gives the exact command an operator runs; the worker carries on, and
 * releases start (they set these attributes) once the operator has run it, without a restart.
 */
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/messages.js';

// @temporalio/proto is CommonJS: under Node's own ESM loader only its default export is reliable
const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
const TYPES = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
} as const;

/** The two calls this module makes, as Connection's operatorService offers them (tests pass a fake). */
export interface SearchAttributeOperator {
  listSearchAttributes(request: {
    namespace: string;
  }): Promise<{ customAttributes?: Record<string, unknown> | null }>;
  addSearchAttributes(request: {
    namespace: string;
    searchAttributes: Record<string, number>;
  }): Promise<unknown>;
}

/** What the worker found out about the release search attributes at start. */
export type SearchAttributesOutcome =
  | { kind: 'present' }
  | { kind: 'added'; names: string[] }
  /** Some are missing and this identity may not add them: an operator must (commands). */
  | { kind: 'missing'; names: string[]; reason: string; commands: string[] }
  /** The server did not even let us list them. */
  | { kind: 'unknown'; reason: string; commands: string[] };

// gRPC status codes that mean "Temporal is not reachable right now": the process fails, as any
// start-up without Temporal does, rather than guessing about the namespace
const TRANSIENT_CODES = new Set([
  1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */,
]);

function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && TRANSIENT_CODES.has(code);
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Returns the names it added (empty when all were there); any refusal is thrown. */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
): Promise<string[]> {
  const operator: SearchAttributeOperator = connection.operatorService;
  const missing = missingNames(await operator.listSearchAttributes({ namespace }));
  if (missing.length === 0) return [];
  await operator.addSearchAttributes(addRequest(namespace, missing));
  return missing;
}

/**
 * Adds what is missing if allowed; if not (PERMISSION_DENIED, UNIMPLEMENTED, ...), lists again
 * (another replica may have added them meanwhile) and reports what an operator must create.
 * Throws only when Temporal is unreachable.
 */
export async function checkSearchAttributes(
  operator: SearchAttributeOperator,
  namespace: string,
  address: string,
): Promise<SearchAttributesOutcome> {
  let missing: (keyof typeof SEARCH_ATTRIBUTES)[];
  try {
    missing = missingNames(await operator.listSearchAttributes({ namespace }));
  } catch (error) {
    if (isTransient(error)) throw error;
    return {
      kind: 'unknown',
      reason: reasonOf(error),
      commands: searchAttributeCommands(
        namespace,
        address,
        Object.keys(SEARCH_ATTRIBUTES) as (keyof typeof SEARCH_ATTRIBUTES)[],
      ),
    };
  }
  if (missing.length === 0) return { kind: 'present' };
  try {
    await operator.addSearchAttributes(addRequest(namespace, missing));
    return { kind: 'added', names: missing };
  } catch (error) {
    if (isTransient(error)) throw error;
    const reason = reasonOf(error);
    let still: (keyof typeof SEARCH_ATTRIBUTES)[];
    try {
      still = missingNames(await operator.listSearchAttributes({ namespace }));
    } catch {
      still = missing;
    }
    if (still.length === 0) return { kind: 'present' };
    return {
      kind: 'missing',
      names: still,
      reason,
      commands: searchAttributeCommands(namespace, address, still),
    };
  }
}

/**
 * The `temporal` CLI commands that create `names` in `namespace`, one per attribute type (the
 * CLI takes several --name but one --type). The operator adds their own TLS or API-key flags.
 */
export function searchAttributeCommands(
  namespace: string,
  address: string,
  names: (keyof typeof SEARCH_ATTRIBUTES)[],
): string[] {
  const byType = new Map<string, string[]>();
  for (const name of names)
    byType.set(SEARCH_ATTRIBUTES[name], [...(byType.get(SEARCH_ATTRIBUTES[name]) ?? []), name]);
  return [...byType].map(
    ([type, typed]) =>
      `temporal operator search-attribute create --address ${address} --namespace ${namespace} ${typed.map((n) => `--name ${n}`).join(' ')} --type ${type}`,
  );
}

/** The worker's log lines for an outcome; `warn` when something is left for an operator. */
export function searchAttributesMessage(
  outcome: SearchAttributesOutcome,
  namespace: string,
): { warn: boolean; lines: string[] } {
  switch (outcome.kind) {
    case 'present':
      return { warn: false, lines: [] };
    case 'added':
      return {
        warn: false,
        lines: [
          `registered search attributes ${outcome.names.join(', ')} in namespace ${namespace}`,
        ],
      };
    case 'missing':
      return {
        warn: true,
        lines: [
          `search attributes ${outcome.names.join(', ')} are missing in namespace ${namespace} and this worker may not add them (${outcome.reason}); Temporal refuses to start releases until an operator runs:`,
          ...outcome.commands.map((command) => `  ${command}`),
        ],
      };
    case 'unknown':
      return {
        warn: true,
        lines: [
          `could not check the search attributes of namespace ${namespace} (${outcome.reason}); if Temporal refuses to start releases, an operator runs:`,
          ...outcome.commands.map((command) => `  ${command}`),
        ],
      };
    default: {
      const unknown: never = outcome;
      throw new Error(`unknown search attributes outcome ${JSON.stringify(unknown)}`);
    }
  }
}

function addRequest(namespace: string, names: (keyof typeof SEARCH_ATTRIBUTES)[]) {
  return {
    namespace,
    searchAttributes: Object.fromEntries(
      names.map((name) => [name, TYPES[SEARCH_ATTRIBUTES[name]]]),
    ),
  };
}

function missingNames(listed: {
  customAttributes?: Record<string, unknown> | null;
}): (keyof typeof SEARCH_ATTRIBUTES)[] {
  const known = new Set(Object.keys(listed.customAttributes ?? {}));
  return (Object.keys(SEARCH_ATTRIBUTES) as (keyof typeof SEARCH_ATTRIBUTES)[]).filter(
    (name) => !known.has(name),
  );
}
