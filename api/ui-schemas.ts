/**
 * The schemas of the routes the dashboard reads besides the status: `GET /v1/me` (who the caller
 * is and which actions its roles allow) and `GET /v1/releases/{id}/series` (the release's step plan
 * and its per-bucket canary and baseline series for the charts). A file of its own beside
 * api/schemas.ts, like api/repair-schemas.ts.
 */
import { z } from '@hono/zod-openapi';
import { ROLES } from './auth.js';
import { ACTION_KINDS } from '../workflows/messages.js';

export const meSchema = z
  .object({
    name: z
      .string()
      .openapi({ description: "The caller's name: the actor recorded with actions." }),
    roles: z.array(z.enum(ROLES)),
    scopes: z.array(z.string()).nullable().openapi({
      description:
        'The namespaces or namespace/service patterns the caller is limited to; null: all.',
    }),
    actions: z.array(z.enum(ACTION_KINDS)).openapi({
      description:
        "The actions the caller's roles allow on releases within its scopes (whether one applies now depends on the release's phase).",
    }),
  })
  .openapi('Me');

export const METRIC_IDS = ['errorRate', 'latencyMean', 'latencyQuantile'] as const;

const values = z.array(z.number().nullable());
const armSeries = z
  .object({
    requests: values.openapi({ description: 'Requests per bucket; null: no data.' }),
    errorRate: values.openapi({ description: 'errors / requests per bucket (a fraction).' }),
    latencyMean: values.openapi({ description: 'Mean latency per bucket, ms.' }),
    latencyQuantile: values.openapi({ description: 'The latency quantile per bucket, ms.' }),
  })
  .openapi('ArmSeries');

export const seriesSchema = z
  .object({
    id: z.string(),
    bucketMs: z.number().int(),
    plan: z.array(
      z.object({
        index: z.number().int(),
        weight: z.number(),
        observeMs: z.number(),
        approval: z.boolean(),
      }),
    ),
    judged: z
      .array(z.enum(METRIC_IDS))
      .openapi({ description: "The metrics the release's judge compares." }),
    series: z
      .object({
        from: z.string().openapi({ description: 'Start of the first bucket (ISO 8601).' }),
        to: z.string().openapi({ description: 'End of the last bucket (ISO 8601).' }),
        truncated: z.boolean().openapi({
          description:
            'The release is longer than the most buckets one answer holds: the last ones.',
        }),
        timestamps: z.array(z.number()).openapi({ description: 'Bucket ends, epoch ms.' }),
        canary: armSeries,
        baseline: armSeries,
      })
      .nullable(),
    seriesProblem: z.string().nullable().openapi({
      description:
        'Why there are no per-bucket series (the API cannot reach the metrics source, or the release has not sent traffic to the canary yet); the charts then show the per-look numbers only.',
    }),
  })
  .openapi('ReleaseSeries');

export type Me = z.output<typeof meSchema>;
export type ReleaseSeries = z.output<typeof seriesSchema>;
export type ArmSeries = z.output<typeof armSeries>;
