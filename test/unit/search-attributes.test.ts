/**
 * What the worker does about the release search attributes at start when it may, or may not,
 * change the namespace: a fake operator service plays the server (the real registration on a fresh
 * namespace is test/integration/search-attributes.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  checkSearchAttributes,
  searchAttributeCommands,
  searchAttributesMessage,
  type SearchAttributeOperator,
} from '../../worker/search-attributes.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/messages.js';

const ALL = Object.keys(SEARCH_ATTRIBUTES);

/** A gRPC-style error as @temporalio/client surfaces it. */
function grpcError(code: number, message: string): Error {
  return Object.assign(new Error(`${code} ${message}`), { code, details: message });
}

/** A server that knows `known`; `add` and `list` may throw instead of answering. */
function operator(
  known: string[],
  behaviour: { add?: () => never; list?: () => never; addedByOthers?: boolean } = {},
): SearchAttributeOperator & { added: string[][] } {
  const names = new Set(known);
  const added: string[][] = [];
  return {
    added,
    async listSearchAttributes() {
      behaviour.list?.();
      return { customAttributes: Object.fromEntries([...names].map((name) => [name, 2])) };
    },
    async addSearchAttributes({ searchAttributes }) {
      if (behaviour.addedByOthers) for (const name of ALL) names.add(name);
      behaviour.add?.();
      added.push(Object.keys(searchAttributes));
      for (const name of Object.keys(searchAttributes)) names.add(name);
      return {};
    },
  };
}

const denied = (): never => {
  throw grpcError(7, 'PERMISSION_DENIED: Request unauthorized.');
};

describe('checking the release search attributes at worker start', () => {
  it('does nothing when every attribute exists', async () => {
    const server = operator(ALL);
    expect(await checkSearchAttributes(server, 'payments', 'temporal:7233')).toEqual({
      kind: 'present',
    });
    expect(server.added).toEqual([]);
  });

  it('adds only the missing attributes when it may', async () => {
    const server = operator(['CanaryPhase', 'CanaryService']);
    const outcome = await checkSearchAttributes(server, 'payments', 'temporal:7233');
    expect(outcome).toEqual({
      kind: 'added',
      names: ALL.filter((n) => n !== 'CanaryPhase' && n !== 'CanaryService'),
    });
    expect(server.added).toHaveLength(1);
  });

  it('reports the missing attributes and the commands for an operator when adding is denied, instead of failing', async () => {
    const outcome = await checkSearchAttributes(
      operator(['CanaryPhase'], { add: denied }),
      'payments',
      'temporal.example:7233',
    );
    expect(outcome).toMatchObject({
      kind: 'missing',
      names: ALL.filter((n) => n !== 'CanaryPhase'),
      reason: '7 PERMISSION_DENIED: Request unauthorized.',
    });
    expect(outcome.kind === 'missing' && outcome.commands).toEqual([
      'temporal operator search-attribute create --address temporal.example:7233 --namespace payments --name CanaryService --name CanaryNamespace --name CanaryVersion --name CanaryReleaseId --type Keyword',
      'temporal operator search-attribute create --address temporal.example:7233 --namespace payments --name CanaryWeight --type Int',
    ]);
  });

  it('counts the attributes as present when another replica added them while this one was refused', async () => {
    const outcome = await checkSearchAttributes(
      operator([], {
        add: () => {
          throw grpcError(6, 'ALREADY_EXISTS');
        },
        addedByOthers: true,
      }),
      'payments',
      'temporal:7233',
    );
    expect(outcome).toEqual({ kind: 'present' });
  });

  it('warns and continues when it may not even list them', async () => {
    const outcome = await checkSearchAttributes(
      operator([], { list: denied }),
      'payments',
      'temporal:7233',
    );
    expect(outcome).toMatchObject({
      kind: 'unknown',
      reason: '7 PERMISSION_DENIED: Request unauthorized.',
    });
    expect(outcome.kind === 'unknown' && outcome.commands).toEqual(
      searchAttributeCommands(
        'payments',
        'temporal:7233',
        ALL as (keyof typeof SEARCH_ATTRIBUTES)[],
      ),
    );
  });

  it('fails when Temporal is unreachable, as any start without Temporal does', async () => {
    const unavailable = (): never => {
      throw grpcError(14, 'UNAVAILABLE: connection refused');
    };
    await expect(
      checkSearchAttributes(operator([], { list: unavailable }), 'payments', 'temporal:7233'),
    ).rejects.toThrow(/UNAVAILABLE/);
    await expect(
      checkSearchAttributes(operator([], { add: unavailable }), 'payments', 'temporal:7233'),
    ).rejects.toThrow(/UNAVAILABLE/);
  });
});

describe('the worker log lines about search attributes', () => {
  it('is silent when they exist and says which it registered', () => {
    expect(searchAttributesMessage({ kind: 'present' }, 'payments')).toEqual({
      warn: false,
      lines: [],
    });
    expect(searchAttributesMessage({ kind: 'added', names: ['CanaryPhase'] }, 'payments')).toEqual({
      warn: false,
      lines: ['registered search attributes CanaryPhase in namespace payments'],
    });
  });

  it('warns with the namespace, the reason and each command on its own line when some are missing', () => {
    const message = searchAttributesMessage(
      {
        kind: 'missing',
        names: ['CanaryWeight'],
        reason: 'PERMISSION_DENIED',
        commands: ['temporal operator search-attribute create --name CanaryWeight --type Int'],
      },
      'payments',
    );
    expect(message.warn).toBe(true);
    expect(message.lines[0]).toContain('CanaryWeight are missing in namespace payments');
    expect(message.lines[0]).toContain('(PERMISSION_DENIED)');
    expect(message.lines[1]).toBe(
      '  temporal operator search-attribute create --name CanaryWeight --type Int',
    );
  });
});
