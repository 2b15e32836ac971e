/**
 * How the operator's CANARY_TEMPORAL_* settings become Temporal connection options: which
 * combinations mean TLS, mTLS or an API key, and that every refusal names its variable in one line
 * without echoing a file's contents. Files come from a fake reader; the real TLS handshake is
 * test/integration/temporal-tls.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadEngineEnv } from '../../worker/config.js';
import {
  DEFAULT_TEMPORAL_ADDRESS,
  TemporalConnectionConfigError,
  describeTemporalConnection,
  temporalConnectionOptions,
  type ReadFile,
} from '../../worker/temporal-connection.js';

const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n';

/** A file system of a few files; reading anything else fails like a missing file. */
function files(contents: Record<string, string>): ReadFile & { reads: string[] } {
  const reads: string[] = [];
  const read = (path: string) => {
    reads.push(path);
    if (path === '/etc/tls')
      throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read`), {
        code: 'EISDIR',
      });
    const content = contents[path];
    if (content === undefined)
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
        code: 'ENOENT',
      });
    return Buffer.from(content);
  };
  return Object.assign(read, { reads });
}

const disk = files({
  '/tls/ca.crt': CA,
  '/tls/tls.crt': CERT,
  '/tls/tls.key': KEY,
  '/tls/api-key': '  cloud-key-123\n',
  '/tls/empty': '\n',
  '/tls/der.crt': '0\x82\x03',
});

/** Options from environment variables as the process receives them (strings). */
function optionsFrom(vars: Record<string, string>, read: ReadFile = disk) {
  return temporalConnectionOptions(loadEngineEnv(vars), read);
}

function refusal(vars: Record<string, string>): TemporalConnectionConfigError {
  try {
    optionsFrom(vars);
  } catch (error) {
    expect(error).toBeInstanceOf(TemporalConnectionConfigError);
    return error as TemporalConnectionConfigError;
  }
  throw new Error(`expected ${JSON.stringify(vars)} to be refused`);
}

describe('Temporal connection options from the environment', () => {
  it('connects without TLS to the default address when nothing is configured', () => {
    expect(optionsFrom({})).toEqual({ address: DEFAULT_TEMPORAL_ADDRESS });
    expect(describeTemporalConnection(optionsFrom({}))).toBe('127.0.0.1:7233 without TLS');
  });

  it('turns on TLS with the system CAs when only CANARY_TEMPORAL_TLS is on', () => {
    for (const value of ['on', 'true', '1'])
      expect(
        optionsFrom({ TEMPORAL_ADDRESS: 'temporal:7233', CANARY_TEMPORAL_TLS: value }).tls,
      ).toEqual({});
    expect(describeTemporalConnection(optionsFrom({ CANARY_TEMPORAL_TLS: 'on' }))).toBe(
      '127.0.0.1:7233 over TLS (system CAs)',
    );
  });

  it('reads the CA, client certificate and key once, as bytes, for mTLS with a server name', () => {
    const read = files({ '/tls/ca.crt': CA, '/tls/tls.crt': CERT, '/tls/tls.key': KEY });
    const options = optionsFrom(
      {
        TEMPORAL_ADDRESS: 'temporal-frontend:7233',
        CANARY_TEMPORAL_TLS_CA: '/tls/ca.crt',
        CANARY_TEMPORAL_TLS_CERT: '/tls/tls.crt',
        CANARY_TEMPORAL_TLS_KEY: '/tls/tls.key',
        CANARY_TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      },
      read,
    );
    expect(options).toEqual({
      address: 'temporal-frontend:7233',
      tls: {
        serverNameOverride: 'temporal.internal',
        serverRootCACertificate: Buffer.from(CA),
        clientCertPair: { crt: Buffer.from(CERT), key: Buffer.from(KEY) },
      },
    });
    expect(Buffer.isBuffer(options.tls && options.tls.serverRootCACertificate)).toBe(true);
    expect(read.reads.sort()).toEqual(['/tls/ca.crt', '/tls/tls.crt', '/tls/tls.key']);
    expect(describeTemporalConnection(options)).toBe(
      'temporal-frontend:7233 over mTLS (private CA, server name temporal.internal)',
    );
  });

  it('implies TLS from any one TLS setting, even the server name alone', () => {
    expect(optionsFrom({ CANARY_TEMPORAL_TLS_CA: '/tls/ca.crt' }).tls).toEqual({
      serverRootCACertificate: Buffer.from(CA),
    });
    expect(optionsFrom({ CANARY_TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }).tls).toEqual({
      serverNameOverride: 'temporal.internal',
    });
  });

  it('sends a Temporal Cloud API key over TLS, from the variable or from a file, trimmed', () => {
    expect(
      optionsFrom({
        TEMPORAL_ADDRESS: 'ns.a1b2c.tmprl.cloud:7233',
        CANARY_TEMPORAL_API_KEY: 'cloud-key-123',
      }),
    ).toEqual({ address: 'ns.a1b2c.tmprl.cloud:7233', apiKey: 'cloud-key-123', tls: {} });
    expect(optionsFrom({ CANARY_TEMPORAL_API_KEY_FILE: '/tls/api-key' })).toEqual({
      address: DEFAULT_TEMPORAL_ADDRESS,
      apiKey: 'cloud-key-123',
      tls: {},
    });
    expect(
      describeTemporalConnection(optionsFrom({ CANARY_TEMPORAL_API_KEY: 'cloud-key-123' })),
    ).toBe('127.0.0.1:7233 over TLS (system CAs), with an API key');
  });

  it('keeps an API key on a plain connection only when CANARY_TEMPORAL_TLS is explicitly off', () => {
    expect(optionsFrom({ CANARY_TEMPORAL_TLS: 'off', CANARY_TEMPORAL_API_KEY: 'k' })).toEqual({
      address: DEFAULT_TEMPORAL_ADDRESS,
      apiKey: 'k',
      tls: false,
    });
    expect(
      describeTemporalConnection(
        optionsFrom({ CANARY_TEMPORAL_TLS: 'off', CANARY_TEMPORAL_API_KEY: 'k' }),
      ),
    ).toBe('127.0.0.1:7233 without TLS, with an API key');
  });

  it('never puts a secret into the description', () => {
    const text = describeTemporalConnection(
      optionsFrom({
        CANARY_TEMPORAL_API_KEY: 'cloud-key-123',
        CANARY_TEMPORAL_TLS_CERT: '/tls/tls.crt',
        CANARY_TEMPORAL_TLS_KEY: '/tls/tls.key',
      }),
    );
    expect(text).not.toContain('cloud-key-123');
    expect(text).not.toContain('secret-key-material');
  });
});

describe('refused Temporal connection settings', () => {
  it.each([
    [
      { CANARY_TEMPORAL_TLS_CERT: '/tls/tls.crt' },
      'CANARY_TEMPORAL_TLS_CERT: is set without CANARY_TEMPORAL_TLS_KEY',
    ],
    [
      { CANARY_TEMPORAL_TLS_KEY: '/tls/tls.key' },
      'CANARY_TEMPORAL_TLS_KEY: is set without CANARY_TEMPORAL_TLS_CERT',
    ],
    [
      { CANARY_TEMPORAL_API_KEY: 'k', CANARY_TEMPORAL_API_KEY_FILE: '/tls/api-key' },
      'CANARY_TEMPORAL_API_KEY: and CANARY_TEMPORAL_API_KEY_FILE are both set',
    ],
    [
      { CANARY_TEMPORAL_TLS: 'off', CANARY_TEMPORAL_TLS_CA: '/tls/ca.crt' },
      'CANARY_TEMPORAL_TLS: is off, but CANARY_TEMPORAL_TLS_CA is set',
    ],
    [
      { CANARY_TEMPORAL_TLS_CA: '/tls/missing.crt' },
      'CANARY_TEMPORAL_TLS_CA: cannot read /tls/missing.crt (no such file)',
    ],
    [
      { CANARY_TEMPORAL_TLS_CA: '/etc/tls' },
      'CANARY_TEMPORAL_TLS_CA: cannot read /etc/tls (a directory)',
    ],
    [
      { CANARY_TEMPORAL_TLS_CERT: '/tls/der.crt', CANARY_TEMPORAL_TLS_KEY: '/tls/tls.key' },
      'CANARY_TEMPORAL_TLS_CERT: /tls/der.crt is not a PEM file',
    ],
    [
      { CANARY_TEMPORAL_TLS_CERT: '/tls/tls.crt', CANARY_TEMPORAL_TLS_KEY: '/tls/missing.key' },
      'CANARY_TEMPORAL_TLS_KEY: cannot read /tls/missing.key (no such file)',
    ],
    [
      { CANARY_TEMPORAL_API_KEY_FILE: '/tls/empty' },
      'CANARY_TEMPORAL_API_KEY_FILE: holds an empty key',
    ],
  ])('refuses %j with one line starting "%s"', (vars, message) => {
    const error = refusal(vars);
    expect(error.message.startsWith(message)).toBe(true);
    expect(error.message).not.toContain('\n');
    expect(error.variable).toBe(message.split(':')[0]);
  });

  it('does not echo the contents of a file it refuses', () => {
    const read = files({ '/tls/key-as-cert': 'secret-key-material without armour' });
    expect(() =>
      temporalConnectionOptions(
        loadEngineEnv({
          CANARY_TEMPORAL_TLS_CERT: '/tls/key-as-cert',
          CANARY_TEMPORAL_TLS_KEY: '/tls/key-as-cert',
        }),
        read,
      ),
    ).toThrow(/^(?!.*secret-key-material).*not a PEM file/);
  });

  it('refuses a CANARY_TEMPORAL_TLS that is neither on nor off, naming the variable', () => {
    expect(() => loadEngineEnv({ CANARY_TEMPORAL_TLS: 'yes please' })).toThrow(
      /CANARY_TEMPORAL_TLS: must be on or off/,
    );
  });
});
