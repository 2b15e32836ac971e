/**
 * Temporal conditions through the API against the real dev server: a Client on a namespace the
 * server does not have gets a 503 problem naming the namespace and the command that creates it,
 * for reads, lists and starts alike — never a 500 (issue #13, item 5).
 */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { createApp } from '../../api/app.js';
import { auth, jsonHeaders, specBody, TOKENS, unitApp } from '../harness/api.js';

const MISSING = 'canary-no-such-namespace';

describe('the API on a Temporal namespace that does not exist', () => {
  let connection: Connection;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    app = unitApp({ client: new Client({ connection, namespace: MISSING }) });
  });
  afterAll(async () => {
    await connection?.close();
  });

  async function expectNamespaceMissing(res: Response): Promise<void> {
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.type).toBe('urn:canary-engine:problem:temporal-namespace-missing');
    expect(body.namespace).toBe(MISSING);
    expect(body.detail).toContain(`the Temporal namespace "${MISSING}" does not exist`);
    expect(body.detail).toContain(`temporal operator namespace create --namespace ${MISSING}`);
  }

  it('answers a list with a 503 naming the namespace and how to create it', async () => {
    await expectNamespaceMissing(
      await app.request('/v1/releases', { headers: auth(TOKENS.viewer) }),
    );
  });

  it('answers a release read the same way', async () => {
    await expectNamespaceMissing(
      await app.request('/v1/releases/some-release', { headers: auth(TOKENS.viewer) }),
    );
  });

  it('answers a start the same way, and starts nothing', async () => {
    await expectNamespaceMissing(
      await app.request('/v1/releases', {
        method: 'POST',
        headers: jsonHeaders(TOKENS.deployer),
        body: JSON.stringify(specBody()),
      }),
    );
  });
});
