/**
 * Reading an operator's secret (a metrics source's credentials, a Slack webhook URL, a webhook's
 * HMAC key) from where the operator's config names it: an environment variable of the worker or a
 * file (a mounted Secret, re-read on each use so a rotation is picked up). The value never appears
 * in an error; the error names the field that names it.
 */
import { readFileSync } from 'node:fs';

/** A secret's value: the worker's environment variable, or a file (a mounted Secret). */
export type SecretRef = { env: string } | { file: string };

export interface SecretReader {
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
}

export const defaultSecretReader = (): SecretReader => ({
  env: process.env,
  readFile: (path) => readFileSync(path, 'utf8'),
});

/** Builds the caller's error (each family has its own EngineError) from a message and a cause. */
export type SecretError = (message: string, options?: { cause: unknown }) => Error;

/** The secret's value; `field` names the config field in the error when it cannot be had. */
export function readSecret(
  ref: SecretRef,
  field: string,
  io: SecretReader,
  error: SecretError,
): string {
  if ('env' in ref) {
    const value = io.env[ref.env];
    if (value === undefined || value === '')
      throw error(`${field}.env names ${ref.env}, which is not set in the worker's environment`);
    return value;
  }
  let value: string;
  try {
    value = io.readFile(ref.file).trim();
  } catch (cause) {
    throw error(`${field}.file ${ref.file} cannot be read`, { cause });
  }
  if (value === '') throw error(`${field}.file ${ref.file} is empty`);
  return value;
}
