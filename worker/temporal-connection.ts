/**
 * How the engine's processes reach Temporal. The operator's CANARY_TEMPORAL_* settings
 * (worker/config.ts) become, here and only here, the options that the worker's NativeConnection
 * and the API's client Connection both take: TLS, a private CA, a client certificate (mTLS), a
 * server name override, and an API key (Temporal Cloud). A secured cluster or Temporal Cloud is then
 * a matter of environment, as the Helm chart sets it.
 *
 * Files are read once, at start, so a bad path fails the process before it connects rather than
 * at the first reconnect. Their contents, and the API key, are never logged: describe() says only
 * which kind of connection this is.
 */
import { readFileSync } from 'node:fs';
import type { EngineEnv } from './config.js';

/** Where the engine looks for Temporal when TEMPORAL_ADDRESS is not set (the dev server's port). */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

/** The variables this module reads. */
export type TemporalEnv = Pick<
  EngineEnv,
  | 'TEMPORAL_ADDRESS'
  | 'CANARY_TEMPORAL_TLS'
  | 'CANARY_TEMPORAL_TLS_CA'
  | 'CANARY_TEMPORAL_TLS_CERT'
  | 'CANARY_TEMPORAL_TLS_KEY'
  | 'CANARY_TEMPORAL_TLS_SERVER_NAME'
  | 'CANARY_TEMPORAL_API_KEY'
  | 'CANARY_TEMPORAL_API_KEY_FILE'
>;

/**
 * TLS settings in the SDK's shape (TLSConfig of @temporalio/common). Buffers, because the
 * worker's NativeConnection hands them to the native core, which takes bytes, not strings.
 */
export interface TemporalTls {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

/** Options accepted as they are by both `NativeConnection.connect` and `Connection.connect`/`lazy`. */
export interface TemporalConnectionOptions {
  address: string;
  /** `false` keeps the connection plain even with an API key (a sidecar that encrypts, say). */
  tls?: TemporalTls | false;
  apiKey?: string;
}

/** A setting that cannot work; the message names the variable(s) and fits on one line. */
export class TemporalConnectionConfigError extends Error {
  override readonly name = 'TemporalConnectionConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** Reads a file's bytes; tests pass a fake. */
export type ReadFile = (path: string) => Buffer;

const TLS_FILE_VARIABLES = [
  'CANARY_TEMPORAL_TLS_CA',
  'CANARY_TEMPORAL_TLS_CERT',
  'CANARY_TEMPORAL_TLS_KEY',
  'CANARY_TEMPORAL_TLS_SERVER_NAME',
] as const;

/**
 * The connection options for the configured Temporal server, with every file read. Throws a
 * TemporalConnectionConfigError for a certificate without its key (or the reverse), both an API key
 * and a key file, TLS turned off next to TLS files, or a file that cannot be read or is not PEM.
 */
export function temporalConnectionOptions(
  env: TemporalEnv,
  readFile: ReadFile = readFileSync,
): TemporalConnectionOptions {
  const options: TemporalConnectionOptions = {
    address: env.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS,
  };
  const { CANARY_TEMPORAL_TLS_CERT: cert, CANARY_TEMPORAL_TLS_KEY: key } = env;
  if (cert && !key)
    throw new TemporalConnectionConfigError(
      'CANARY_TEMPORAL_TLS_CERT',
      "is set without CANARY_TEMPORAL_TLS_KEY, the client certificate's private key; set both or neither",
    );
  if (key && !cert)
    throw new TemporalConnectionConfigError(
      'CANARY_TEMPORAL_TLS_KEY',
      'is set without CANARY_TEMPORAL_TLS_CERT, the client certificate it belongs to; set both or neither',
    );
  if (env.CANARY_TEMPORAL_API_KEY && env.CANARY_TEMPORAL_API_KEY_FILE) {
    throw new TemporalConnectionConfigError(
      'CANARY_TEMPORAL_API_KEY',
      'and CANARY_TEMPORAL_API_KEY_FILE are both set; set one',
    );
  }
  const tlsVariable = TLS_FILE_VARIABLES.find((name) => env[name] !== undefined);
  if (env.CANARY_TEMPORAL_TLS === false && tlsVariable) {
    throw new TemporalConnectionConfigError(
      'CANARY_TEMPORAL_TLS',
      `is off, but ${tlsVariable} is set: turn TLS on or remove the TLS settings`,
    );
  }

  const apiKey = env.CANARY_TEMPORAL_API_KEY_FILE
    ? readText(readFile, 'CANARY_TEMPORAL_API_KEY_FILE', env.CANARY_TEMPORAL_API_KEY_FILE)
    : env.CANARY_TEMPORAL_API_KEY?.trim();
  if (apiKey !== undefined) {
    if (apiKey === '')
      throw new TemporalConnectionConfigError(
        env.CANARY_TEMPORAL_API_KEY_FILE
          ? 'CANARY_TEMPORAL_API_KEY_FILE'
          : 'CANARY_TEMPORAL_API_KEY',
        'holds an empty key',
      );
    options.apiKey = apiKey;
  }

  // an API key implies TLS too (Temporal Cloud), unless TLS is explicitly off
  const tlsOn = env.CANARY_TEMPORAL_TLS ?? (tlsVariable !== undefined || apiKey !== undefined);
  if (!tlsOn) {
    if (env.CANARY_TEMPORAL_TLS === false) options.tls = false;
    return options;
  }
  const tls: TemporalTls = {};
  if (env.CANARY_TEMPORAL_TLS_SERVER_NAME)
    tls.serverNameOverride = env.CANARY_TEMPORAL_TLS_SERVER_NAME;
  if (env.CANARY_TEMPORAL_TLS_CA)
    tls.serverRootCACertificate = readPem(
      readFile,
      'CANARY_TEMPORAL_TLS_CA',
      env.CANARY_TEMPORAL_TLS_CA,
    );
  if (cert && key) {
    tls.clientCertPair = {
      crt: readPem(readFile, 'CANARY_TEMPORAL_TLS_CERT', cert),
      key: readPem(readFile, 'CANARY_TEMPORAL_TLS_KEY', key),
    };
  }
  options.tls = tls;
  return options;
}

/**
 * For logs: the address and how the connection is secured ("127.0.0.1:7233 over mTLS (private CA),
 * with an API key"), never a secret.
 */
export function describeTemporalConnection(options: TemporalConnectionOptions): string {
  const { tls, apiKey } = options;
  const key = apiKey ? ', with an API key' : '';
  if (!tls) return `${options.address} without TLS${key}`;
  const details = [
    tls.serverRootCACertificate ? 'private CA' : 'system CAs',
    ...(tls.serverNameOverride ? [`server name ${tls.serverNameOverride}`] : []),
  ];
  return `${options.address} over ${tls.clientCertPair ? 'mTLS' : 'TLS'} (${details.join(', ')})${key}`;
}

function readBytes(readFile: ReadFile, variable: string, path: string): Buffer {
  try {
    return readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'a directory'
            : (code ?? (error as Error).message);
    throw new TemporalConnectionConfigError(variable, `cannot read ${path} (${why})`);
  }
}

function readText(readFile: ReadFile, variable: string, path: string): string {
  return readBytes(readFile, variable, path).toString('utf8').trim();
}

/** PEM, checked by its armour: the native core's own error for a DER or empty file names no file. */
function readPem(readFile: ReadFile, variable: string, path: string): Buffer {
  const bytes = readBytes(readFile, variable, path);
  if (!bytes.toString('latin1').includes('-----BEGIN '))
    throw new TemporalConnectionConfigError(
      variable,
      `${path} is not a PEM file (no "-----BEGIN" line)`,
    );
  return bytes;
}
