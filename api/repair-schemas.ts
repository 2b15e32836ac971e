/**
 * The schemas of the repair route (api/routes/services.ts): the service in the path, the optional
 * reason, and the 202 answer of a repair still running. A file of its own beside api/schemas.ts
 * (which owns the rest, the status's `repair` record included) to keep both short.
 */
import { z } from '@hono/zod-openapi';
import { DNS_LABEL_RE } from '../core/names.js';
import { links, MAX_TEXT } from './schemas.js';

export const serviceParams = z.object({
  namespace: z
    .string()
    .regex(DNS_LABEL_RE, 'must be a DNS-1123 label')
    .openapi({ param: { name: 'namespace', in: 'path' }, example: 'shop' }),
  service: z
    .string()
    .regex(DNS_LABEL_RE, 'must be a DNS-1123 label')
    .openapi({ param: { name: 'service', in: 'path' }, example: 'checkout' }),
});

export const repairBody = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`)
      .optional()
      .openapi({ description: "Why; recorded in the release's status with the repair." }),
  })
  .openapi('RepairReason');

/** A repair still running when the API stopped waiting for it (202). */
export const repairAcceptedSchema = z
  .object({
    id: z.string().openapi({ description: 'The repaired release: follow it at links.self.' }),
    workflowId: z.string(),
    runId: z.string().openapi({ description: "The repair's run." }),
    links,
  })
  .openapi('RepairAccepted');

export type RepairAccepted = z.output<typeof repairAcceptedSchema>;
