/**
 * The worker registers the release search attributes on a server that lacks them (a fresh
 * namespace on the real dev server stands in for a production cluster).
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ensureSearchAttributes } from '../../worker/search-attributes.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/messages.js';

let connection: Connection;
const namespace = `sa-${process.pid}-${Date.now().toString(36)}`;

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  // a new namespace takes a moment to be served
  for (let i = 0; i < 50; i++) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});
afterAll(async () => {
  await connection?.close();
});

describe('registering search attributes', () => {
  it('adds every missing release search attribute once and nothing the second time', async () => {
    const before = await connection.operatorService.listSearchAttributes({ namespace });
    const missingBefore = Object.keys(SEARCH_ATTRIBUTES).filter(
      (name) => !(name in (before.customAttributes ?? {})),
    );
    expect(missingBefore.length).toBeGreaterThan(0);
    const added = await ensureSearchAttributes(connection, namespace);
    expect(added.sort()).toEqual(missingBefore.sort());
    const after = await connection.operatorService.listSearchAttributes({ namespace });
    for (const name of Object.keys(SEARCH_ATTRIBUTES))
      expect(after.customAttributes).toHaveProperty(name);
    expect(await ensureSearchAttributes(connection, namespace)).toEqual([]);
  });
});
