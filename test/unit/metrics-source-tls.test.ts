/**
 * A metrics source with its own CA (`tlsCaFile`): the worker trusts that CA for that source only,
 * and the source's credentials reach it over TLS. The certificate is made in the test (openssl).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../activities/metrics/prometheus-client.js';
import { resolveEndpoint } from '../../activities/metrics/sources.js';
import { fetchTrustingCa } from '../../activities/metrics/tls-fetch.js';
import { metricsSpecSchema } from '../../core/metrics/config.js';

let server: Server;
let url: string;
let caFile: string;
const seenAuthorization: (string | undefined)[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'canary-metrics-tls-'));
  caFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=prometheus.test',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      caFile,
    ],
    { stdio: 'ignore' },
  );
  server = createServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, (req, res) => {
    seenAuthorization.push(req.headers.authorization);
    req.resume();
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '1'] } }),
        ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('a metrics source with its own CA', () => {
  it('is reached with the source’s credentials when its CA is trusted, and refused otherwise', async () => {
    const spec = metricsSpecSchema.parse({});
    const endpoint = resolveEndpoint(
      spec,
      {
        sources: {
          default: {
            address: url,
            auth: { type: 'bearer', token: { env: 'PROM_TOKEN' } },
            tlsCaFile: caFile,
          },
        },
        adHocAddresses: [],
      },
      { env: { PROM_TOKEN: 'tls-token' }, readFile: (path) => readFileSync(path, 'utf8') },
    );
    expect(endpoint.ca).toContain('BEGIN CERTIFICATE');
    const trusting = new PrometheusClient({ ...endpoint, fetch: fetchTrustingCa(endpoint.ca!) });
    const result = await trusting.query('1');
    expect(result.series[0]?.points[0]?.value).toBe(1);
    expect(seenAuthorization).toEqual(['Bearer tls-token']);
    // the process-wide trust store does not know this CA
    await expect(new PrometheusClient({ address: url }).query('1')).rejects.toMatchObject({
      name: 'MetricsUnavailableError',
    });
  });
});
