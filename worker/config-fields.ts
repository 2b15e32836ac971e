/**
 * Zod building blocks of the operator's config (worker/engine-config.ts) that several of its
 * sections share: a secret named by environment variable or mounted file, HTTP header names and
 * values, and an http(s) address. Kept apart so that a section's own schema file can use them
 * without importing engine-config.ts, which imports every section.
 */
import { z } from 'zod';

/** A secret's value: the worker's environment variable, or a file (a mounted Secret). */
export const secretRef = z.union([
  z.strictObject({
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
  }),
  z.strictObject({ file: z.string().min(1, 'must be a file path') }),
]);

export const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'must be an HTTP header name');

export const headerValue = z
  .string()
  .max(4096)
  .regex(/^[\t\x20-\x7e]*$/, 'must be printable ASCII on one line');

export const address = z
  .string()
  .url('must be an http:// or https:// URL')
  .regex(/^https?:\/\/[^?#]*$/i, 'must be an http:// or https:// URL without query or fragment');
