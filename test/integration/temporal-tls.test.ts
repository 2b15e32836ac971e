/**
 * Secured Temporal, end to end: the worker and the API configured for mTLS through the same
 * CANARY_TEMPORAL_* variables an operator sets (worker/temporal-connection.ts) run a release
 * against the real dev server, and clients without the right certificate are refused.
 *
 * The `temporal server start-dev` CLI (v1.5.x) has no TLS flags, so a TLS-terminating proxy stands
 * in front of the shared dev server: it asks every client for a certificate, rejects any not
 * signed by the test's CA, and pipes accepted connections to the server's plain port (gRPC is
 * HTTP/2, which passes through a TCP pipe once ALPN has agreed on h2). The certificates are made
 * by `openssl` in a temporary directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiMetrics } from '../../api/metrics.js';
import { startApiServer, type ApiServer } from '../../api/server.js';
import { freePort } from '../../scripts/lib/proc.mjs';
import { loadEngineEnv } from '../../worker/config.js';
import { temporalConnectionOptions } from '../../worker/temporal-connection.js';
import { TERMINAL_PHASES, type ReleaseStatus } from '../../workflows/messages.js';
import {
  auth,
  jsonHeaders,
  memoryLogger,
  SANDBOX_CAPABILITIES,
  specBody,
  testTokenStore,
  TOKENS,
} from '../harness/api.js';
import { fakeActivities, newFakeCluster } from '../harness/fake-activities.js';
import { uniqueTaskQueue } from '../harness/temporal.js';
import { workflowBundle } from '../harness/workflow-worker.js';
import { quietRuntime } from '../harness/runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'canary-temporal-tls-'));
const file = (name: string) => join(dir, name);

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

/** A CA (self-signed) named `name`: name.key, name.crt. */
function makeCa(name: string): void {
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
  ]);
}

/** A certificate for `name` signed by `ca`, for a server (with SANs) or a client. */
function makeCert(name: string, ca: string, usage: 'serverAuth' | 'clientAuth'): void {
  const ext = `${name}.ext`;
  writeFileSync(
    file(ext),
    [
      'basicConstraints=CA:FALSE',
      `extendedKeyUsage=${usage}`,
      ...(usage === 'serverAuth' ? ['subjectAltName=IP:127.0.0.1,DNS:localhost'] : []),
    ].join('\n'),
  );
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  ]);
  openssl([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    ext,
    '-out',
    `${name}.crt`,
  ]);
}

/** The TLS proxy: mTLS on the outside, the dev server's plain port inside. Counts what it let through. */
async function startMtlsProxy(target: {
  host: string;
  port: number;
}): Promise<{ server: TlsServer; address: string; accepted: () => number; refused: () => number }> {
  let accepted = 0;
  let refused = 0;
  const server = createTlsServer(
    {
      key: readFileSync(file('server.key')),
      cert: readFileSync(file('server.crt')),
      ca: readFileSync(file('ca.crt')),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (client) => {
      accepted += 1;
      const upstream = tcpConnect(target.port, target.host);
      for (const socket of [client, upstream])
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      client.pipe(upstream).pipe(client);
    },
  );
  server.on('tlsClientError', () => {
    refused += 1;
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, address: `127.0.0.1:${port}`, accepted: () => accepted, refused: () => refused };
}

let proxy: Awaited<ReturnType<typeof startMtlsProxy>>;
/** The environment an operator sets for mTLS, as the Helm chart sets it. */
let mtlsEnv: Record<string, string>;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let connection: Connection;
let api: ApiServer;
const cluster = newFakeCluster();
const taskQueue = uniqueTaskQueue('tls');

beforeAll(async () => {
  quietRuntime();
  makeCa('ca');
  makeCert('server', 'ca', 'serverAuth');
  makeCert('client', 'ca', 'clientAuth');
  makeCa('other-ca');
  makeCert('stranger', 'other-ca', 'clientAuth');
  const [host, port] = inject('temporalAddress').split(':');
  proxy = await startMtlsProxy({ host: host!, port: Number(port) });
  mtlsEnv = {
    TEMPORAL_ADDRESS: proxy.address,
    CANARY_TEMPORAL_TLS_CA: file('ca.crt'),
    CANARY_TEMPORAL_TLS_CERT: file('client.crt'),
    CANARY_TEMPORAL_TLS_KEY: file('client.key'),
    CANARY_TEMPORAL_TLS_SERVER_NAME: 'localhost',
  };
  const options = temporalConnectionOptions(loadEngineEnv(mtlsEnv));
  native = await NativeConnection.connect(options);
  worker = await Worker.create({
    connection: native,
    namespace: 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: fakeActivities(cluster, ['pass']),
    shutdownGraceTime: '2s',
  });
  running = worker.run();
  connection = Connection.lazy(options);
  api = await startApiServer({
    port: 0,
    client: new Client({ connection, namespace: 'default' }),
    tokens: testTokenStore(),
    taskQueue,
    metrics: new ApiMetrics({ processMetrics: false }),
    logger: memoryLogger(),
    // the release's spec names the sandbox router; its activities are fakes
    capabilities: SANDBOX_CAPABILITIES,
  });
});

afterAll(async () => {
  await api?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await native?.close();
  await connection?.close();
  await new Promise<void>((resolve) => (proxy ? proxy.server.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function waitForEnd(id: string): Promise<ReleaseStatus> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const response = await fetch(`${api.url}/v1/releases/${id}`, { headers: auth(TOKENS.viewer) });
    const status = (await response.json()) as ReleaseStatus & { running?: boolean };
    if (TERMINAL_PHASES.includes(status.phase) && status.running === false) return status;
    if (Date.now() > deadline)
      throw new Error(`release ${id} did not end; last phase ${status.phase}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('a worker and the API configured for mTLS', () => {
  it('run a release to its end through the certificate-checking proxy', async () => {
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    const started = await fetch(`${api.url}/v1/releases`, {
      method: 'POST',
      headers: jsonHeaders(TOKENS.deployer),
      body: JSON.stringify(specBody()),
    });
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: string };
    expect((await waitForEnd(id)).phase).toBe('Promoted');
    expect(cluster.weights).toEqual({ stable: 100, canary: 0 });
    expect(proxy.accepted()).toBeGreaterThanOrEqual(2);
  });
});

describe('clients without the right certificate', () => {
  const caOnly = () => ({
    TEMPORAL_ADDRESS: proxy.address,
    CANARY_TEMPORAL_TLS_CA: file('ca.crt'),
    CANARY_TEMPORAL_TLS_SERVER_NAME: 'localhost',
  });
  const stranger = () => ({
    ...caOnly(),
    CANARY_TEMPORAL_TLS_CERT: file('stranger.crt'),
    CANARY_TEMPORAL_TLS_KEY: file('stranger.key'),
  });

  it.each([
    ['a client with no certificate', caOnly],
    ['a client whose certificate another CA signed', stranger],
  ])('refuses %s, on the client and on the worker connection', async (_name, env) => {
    const options = temporalConnectionOptions(loadEngineEnv(env()));
    const acceptedBefore = proxy.accepted();
    const refusedBefore = proxy.refused();
    await expect(Connection.connect({ ...options, connectTimeout: '3s' })).rejects.toThrow();
    await expect(NativeConnection.connect(options)).rejects.toThrow();
    expect(proxy.accepted()).toBe(acceptedBefore);
    expect(proxy.refused()).toBeGreaterThan(refusedBefore);
  });

  it('refuses a client that does not speak TLS at all', async () => {
    const acceptedBefore = proxy.accepted();
    await expect(
      Connection.connect({ address: proxy.address, connectTimeout: '3s' }),
    ).rejects.toThrow();
    expect(proxy.accepted()).toBe(acceptedBefore);
  });
});

/** Runs a process entry point with the given environment; resolves with its exit code and stderr. */
function runEntry(
  entry: string,
  env: Record<string, string>,
  until?: (stderr: string) => boolean,
): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (until?.(stderr)) resolve({ code: null, stderr });
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
  return { child, done };
}

describe('the worker and API processes with Temporal TLS settings', () => {
  it('the real worker process connects over mTLS, finds the search attributes and becomes ready', async () => {
    const healthPort = await freePort();
    const { child, done } = runEntry(
      'worker/main.ts',
      {
        ...mtlsEnv,
        CANARY_TASK_QUEUE: uniqueTaskQueue('tls-main'),
        CANARY_WORKER_HEALTH_PORT: String(healthPort),
      },
      (stderr) => stderr.includes('[worker] polling'),
    );
    try {
      const { stderr } = await done;
      expect(stderr).toContain(`[worker] polling`);
      expect(stderr).toContain(`on ${proxy.address} over mTLS (private CA, server name localhost)`);
      expect(stderr).not.toContain('warning');
      let status = 0;
      for (let i = 0; i < 80 && status !== 200; i++) {
        status = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 200) await new Promise((r) => setTimeout(r, 250));
      }
      expect(status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 150_000);

  it.each(['worker/main.ts', 'api/main.ts'])(
    '%s exits 2 with one line naming the variable when a certificate has no key',
    async (entry) => {
      const { code, stderr } = await runEntry(entry, {
        TEMPORAL_ADDRESS: proxy.address,
        CANARY_TEMPORAL_TLS_CERT: file('client.crt'),
      }).done;
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain('CANARY_TEMPORAL_TLS_CERT: is set without CANARY_TEMPORAL_TLS_KEY');
      expect(stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('the worker process refused by the server for want of a client certificate exits 1 with one line naming Temporal', async () => {
    const { code, stderr } = await runEntry('worker/main.ts', {
      TEMPORAL_ADDRESS: proxy.address,
      CANARY_TEMPORAL_TLS_CA: file('ca.crt'),
      CANARY_TEMPORAL_TLS_SERVER_NAME: 'localhost',
    }).done;
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(
      `[worker] cannot connect its client to Temporal at ${proxy.address} over TLS (private CA, server name localhost): `,
    );
  }, 60_000);

  it('the worker process exits 2 naming the variable when a TLS file cannot be read, without its contents', async () => {
    const { code, stderr } = await runEntry('worker/main.ts', {
      ...mtlsEnv,
      CANARY_TEMPORAL_TLS_KEY: file('missing.key'),
    }).done;
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      `[worker] CANARY_TEMPORAL_TLS_KEY: cannot read ${file('missing.key')} (no such file)`,
    );
  });
});
