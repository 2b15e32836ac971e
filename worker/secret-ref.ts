/**
 * How the operator's config names a secret: an environment variable of the process that reads it,
 * or a file (a mounted Kubernetes Secret). The config carries the name, never the value; the
 * reader is `secret` in activities/metrics/sources.ts. Shared by the metrics sources and the
 * API's sign-in settings (api/oidc/config.ts).
 */
import { z } from 'zod';

export const secretRefSchema = z.union([
  z.strictObject({
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
  }),
  z.strictObject({ file: z.string().min(1, 'must be a file path') }),
]);
