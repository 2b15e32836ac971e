/**
 * The sandbox router's control API, under /control: JSON in, JSON out. Every write answers with
 * the state after it, may carry `ifGeneration` (409 `generation-conflict` when the state has moved
 * on) and is refused with `{ error: <code>, message }` and a 4xx status when it cannot apply.
 *
 *   GET    /control/state      the state (stable, canary, weights, cohorts, generation, versions)
 *   PUT    /control/weights    { stable, canary, ifGeneration? }
 *   PUT    /control/cohorts    { cohorts: Cohort[], ifGeneration? }
 *   DELETE /control/cohorts    ?ifGeneration=N
 *   PUT    /control/canary     { version: "v2" | null, ifGeneration? }
 *   PUT    /control/stable     { version, ifGeneration? }
 *   POST   /control/promote    { ifGeneration? }   the stable starts serving the canary's version
 *   GET    /control/metrics    the router's own Prometheus metrics
 */
import { Hono, type Context } from 'hono';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { cohortSchema } from '../core/routing/config.js';
import { formatPath } from '../core/names.js';
import { ControlError } from './errors.js';
import type { RouterStateStore } from './router-state.js';

const generation = z.number().int().min(1);
const weightsBody = z.strictObject({
  stable: z.number(),
  canary: z.number(),
  ifGeneration: generation.optional(),
});
const cohortsBody = z.strictObject({
  cohorts: z.array(cohortSchema).max(10),
  ifGeneration: generation.optional(),
});
const canaryBody = z.strictObject({
  version: z.string().min(1).nullable(),
  ifGeneration: generation.optional(),
});
const stableBody = z.strictObject({
  version: z.string().min(1),
  ifGeneration: generation.optional(),
});
const promoteBody = z.strictObject({ ifGeneration: generation.optional() });

/** The request's JSON body checked against a schema; an empty body counts as `{}` when `optional`. */
async function body<T extends z.ZodType>(
  c: Context,
  schema: T,
  optional = false,
): Promise<z.output<T>> {
  const text = await c.req.text();
  let json: unknown = {};
  if (text.trim() !== '' || !optional) {
    try {
      json = JSON.parse(text);
    } catch {
      throw new ControlError(
        400,
        'invalid-request',
        `the request body must be JSON${text.trim() === '' ? ' (it is empty)' : ''}`,
      );
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${formatPath(issue.path)}: ${issue.message}`,
    );
    throw new ControlError(400, 'invalid-request', `invalid request body: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** `?ifGeneration=N` of a DELETE. */
function queryGeneration(c: Context): number | undefined {
  const raw = c.req.query('ifGeneration');
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new ControlError(
      400,
      'invalid-request',
      `ifGeneration must be a positive integer, not ${JSON.stringify(raw)}`,
    );
  return value;
}

/** The /control sub-application over a state store; `metrics` is the router's own registry. */
export function controlApi(store: RouterStateStore, metrics: Registry): Hono {
  const app = new Hono().basePath('/control');

  app.get('/state', (c) => c.json(store.state));
  app.put('/weights', async (c) => {
    const { ifGeneration, ...weights } = await body(c, weightsBody);
    return c.json(store.setWeights(weights, ifGeneration));
  });
  app.put('/cohorts', async (c) => {
    const { cohorts, ifGeneration } = await body(c, cohortsBody);
    return c.json(store.setCohorts(cohorts, ifGeneration));
  });
  app.delete('/cohorts', (c) => c.json(store.setCohorts([], queryGeneration(c))));
  app.put('/canary', async (c) => {
    const { version, ifGeneration } = await body(c, canaryBody);
    return c.json(store.setCanary(version, ifGeneration));
  });
  app.put('/stable', async (c) => {
    const { version, ifGeneration } = await body(c, stableBody);
    return c.json(store.setStable(version, ifGeneration));
  });
  app.post('/promote', async (c) => {
    const { ifGeneration } = await body(c, promoteBody, true);
    return c.json(store.promote(ifGeneration));
  });
  app.get('/metrics', async (c) =>
    c.body(await metrics.metrics(), 200, { 'content-type': metrics.contentType }),
  );

  app.notFound((c) =>
    c.json(
      { error: 'not-found', message: `no control endpoint ${c.req.method} ${c.req.path}` },
      404,
    ),
  );
  app.onError((error, c) => {
    if (error instanceof ControlError)
      return c.json({ error: error.code, message: error.message }, error.status);
    return c.json({ error: 'internal', message: error.message }, 500);
  });
  return app;
}
