/**
 * The release spec: what a user submits to start a canary release. Validation lists every problem
 * with its field path and never starts anything; defaults fill everything but the service and the
 * two versions. Pure and workflow-safe (the workflow receives an already validated spec).
 */
import { z } from 'zod';
import {
  capabilityProblems,
  type CapabilityChoice,
  type EngineCapabilities,
} from './capabilities.js';
import { durationMs } from './duration.js';
import { judgeConfigSchema } from './judge/config.js';
import { dnsLabel, durationString } from './fields.js';
import { LABEL_VALUE_RE } from './names.js';
import { problemsFromZod, type SpecProblem } from './problems.js';
import { metricsSpecSchema } from './metrics/config.js';
import { notificationsSchema } from './notifications/config.js';
import { providerProblems } from './providers.js';
import { versionFromImages } from './workloads/canary.js';
import { completeWorkloads, workloadsSchema, type WorkloadsSpec } from './workloads/config.js';
import {
  cohortSchema,
  defaultRouterSpec,
  routerCohortProblems,
  routerSpecSchema,
} from './routing/config.js';
import { scheduleBucketProblems, scheduleModeFields } from './routing/schedule-buckets.js';

/** Release ids are chosen by CI (e.g. a pipeline run id) and end up in workflow ids and URLs. */
export const RELEASE_ID_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,126}[A-Za-z0-9])?$/;

const version = z
  .string()
  .regex(
    LABEL_VALUE_RE,
    'must be a Kubernetes label value (letters, digits, "-", "_", ".", at most 63)',
  );
const weight = z
  .number()
  .int('must be an integer')
  .min(1, 'must be at least 1')
  .max(100, 'must be at most 100');

const explicitSteps = z.strictObject({
  ...scheduleModeFields,
  steps: z
    .array(
      z.strictObject({
        weight,
        observe: durationString,
        /** A person must approve before this step's weight is applied. */
        approval: z.boolean().default(false),
      }),
    )
    .min(1, 'needs at least one step')
    .max(50, 'at most 50 steps'),
});
const linearSteps = z.strictObject({
  ...scheduleModeFields,
  stepWeight: weight,
  maxWeight: weight,
  observe: durationString,
  /** A person must approve before every step. */
  approval: z.boolean().default(false),
});

export const scheduleSchema = z.union([explicitSteps, linearSteps]);

const policiesSchema = z.strictObject({
  inconclusive: z
    .strictObject({
      /** Extensions of the observation window before `then` applies (over the whole release). */
      maxExtensions: z.number().int().min(0).max(20).default(2),
      /** Length of one extension; default the current step's observation window. */
      extendBy: durationString.optional(),
      then: z.enum(['hold', 'rollback']).default('rollback'),
    })
    .default({ maxExtensions: 2, then: 'rollback' }),
  /** When Prometheus cannot be reached or returns no data: treat as inconclusive, or act at once. */
  metricsUnavailable: z.enum(['inconclusive', 'hold', 'rollback']).default('inconclusive'),
  approval: z
    .strictObject({
      timeout: durationString.default('1h'),
      onTimeout: z.enum(['rollback', 'proceed']).default('rollback'),
      /** Four eyes: the token that started the release may not approve its gates. */
      distinctApprover: z.boolean().default(false),
    })
    .default({ timeout: '1h', onTimeout: 'rollback', distinctApprover: false }),
  promotion: z
    .strictObject({
      requireApproval: z.boolean().default(false),
      /**
       * After promotion, keep the release open this long, watching the absolute guards and the
       * comparison with the previous version; a breach or a person's `rollback` restores the
       * pre-promotion stable (default: no bake).
       */
      bake: durationString.optional(),
      /**
       * What a bake look judges besides the guards: `previousVersion` (the default) compares the
       * new version with the previous one just before promotion (docs/lifecycle.md); `guardsOnly`
       * does not, for services whose traffic changes too much over a bake to compare in time.
       */
      bakeComparison: z.enum(['previousVersion', 'guardsOnly']).optional(),
    })
    .default({ requireApproval: false }),
});

const analysisSchema = z.strictObject({
  /** Length of one metrics bucket (Prometheus `increase(...[bucket])` at step `bucket`). */
  bucket: durationString.default('1m'),
  metrics: metricsSpecSchema.default(metricsSpecSchema.parse({})),
  judge: judgeConfigSchema.default(judgeConfigSchema.parse({})),
});

export const releaseSpecSchema = z.strictObject({
  /** Caller-chosen id (e.g. a CI run id); re-sending the same id while it runs is idempotent. */
  releaseId: z
    .string()
    .regex(RELEASE_ID_RE, 'must be 1-128 letters, digits, "-", "_" or "."')
    .optional(),
  service: dnsLabel,
  namespace: dnsLabel.default('default'),
  /** Omitted: read from the stable Deployment's pod-template label `version` when the release starts. */
  stableVersion: version.optional(),
  /** Omitted: the tag of the canary's one image (workloads.canary.images). */
  canaryVersion: version.optional(),
  router: routerSpecSchema.optional(),
  workloads: workloadsSchema.optional(),
  cohorts: z.array(cohortSchema).max(10).default([]),
  schedule: scheduleSchema.default({
    stepWeight: 10,
    maxWeight: 50,
    observe: '5m',
    approval: false,
  }),
  analysis: analysisSchema.default(analysisSchema.parse({})),
  policies: policiesSchema.default(policiesSchema.parse({})),
  /** Which of the operator's notification sinks hear of which events (core/notifications/). */
  notifications: notificationsSchema.default([]),
});

export type ReleaseSpecInput = z.input<typeof releaseSpecSchema>;
type ParsedSpec = z.output<typeof releaseSpecSchema>;
/**
 * A validated spec with every default filled in, as the API, the client and the CLI handle it and
 * the workflow receives it: `stableVersion` may still be absent (the workflow reads it first).
 */
export type SubmittedSpec = Omit<
  ParsedSpec,
  'router' | 'workloads' | 'releaseId' | 'canaryVersion'
> & {
  releaseId: string;
  canaryVersion: string;
  router: NonNullable<ParsedSpec['router']>;
  workloads: WorkloadsSpec;
};
/** The spec a release runs on (activities, judge, state): both versions known. */
export type ReleaseSpec = SubmittedSpec & { stableVersion: string };
export type Schedule = z.output<typeof scheduleSchema>;
export { workloadsSchema, type WorkloadsSpec } from './workloads/config.js';

export type { SpecProblem } from './problems.js';

export type SpecValidation =
  { ok: true; spec: SubmittedSpec } | { ok: false; problems: SpecProblem[] };

/** Problems that need several fields at once (zod checks each field alone). */
function crossFieldProblems(spec: ParsedSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const schedule = spec.schedule;
  if ('steps' in schedule) {
    schedule.steps.forEach((step, i) => {
      const previous = schedule.steps[i - 1];
      if (previous && step.weight <= previous.weight) {
        problems.push({
          path: `schedule.steps[${i}].weight`,
          message: `must be greater than the previous step's weight ${previous.weight}`,
        });
      }
    });
  } else if (schedule.maxWeight < schedule.stepWeight) {
    problems.push({
      path: 'schedule.maxWeight',
      message: `must be at least stepWeight ${schedule.stepWeight}`,
    });
  }
  if (spec.router) problems.push(...routerCohortProblems(spec.router, spec.cohorts));
  problems.push(...scheduleBucketProblems(spec));
  problems.push(...providerProblems(spec));
  const bucketMs = durationMs(spec.analysis.bucket, 'analysis.bucket');
  if (bucketMs < 1000) problems.push({ path: 'analysis.bucket', message: 'must be at least 1s' });
  if ('steps' in schedule) {
    schedule.steps.forEach((step, i) => {
      if (durationMs(step.observe, `schedule.steps[${i}].observe`) < bucketMs) {
        problems.push({
          path: `schedule.steps[${i}].observe`,
          message: `must be at least one analysis bucket (${spec.analysis.bucket})`,
        });
      }
    });
  } else if (durationMs(schedule.observe, 'schedule.observe') < bucketMs) {
    problems.push({
      path: 'schedule.observe',
      message: `must be at least one analysis bucket (${spec.analysis.bucket})`,
    });
  }
  const bake = spec.policies.promotion.bake;
  if (bake !== undefined && durationMs(bake, 'policies.promotion.bake') < bucketMs) {
    problems.push({
      path: 'policies.promotion.bake',
      message: `must be at least one analysis bucket (${spec.analysis.bucket})`,
    });
  }
  return problems;
}

/**
 * Fields a spec could once set and no longer may, since they let a spec choose where the worker
 * sends requests or which secret it sends: an unknown-field problem at these paths says why.
 */
const RETIRED_FIELDS: Readonly<Record<string, string>> = {
  'router.url':
    "is not a known field: a spec cannot name the sandbox router's address (it is the local stack's own, CANARY_SANDBOX_URL)",
  'analysis.metrics.auth':
    'is not a known field: credentials belong to a metrics source the operator configures; name it in analysis.metrics.source',
};

function explainRetired(problems: SpecProblem[]): SpecProblem[] {
  return problems.map((p) => {
    const why = p.message === 'is not a known field' ? RETIRED_FIELDS[p.path] : undefined;
    return why ? { path: p.path, message: why } : p;
  });
}

/** Only the provider types of an input that did not parse (its metrics are judged once it does). */
function typesOnly(input: unknown): CapabilityChoice {
  const typeOf = (family: string): { type: string } | undefined => {
    const value = (input as Record<string, unknown> | null)?.[family];
    const type = (value as Record<string, unknown> | null)?.type;
    return typeof type === 'string' ? { type } : undefined;
  };
  const router = typeOf('router');
  const workloads = typeOf('workloads');
  return { ...(router ? { router } : {}), ...(workloads ? { workloads } : {}) };
}

export interface ValidateOptions {
  /**
   * What the engine that will run the release accepts (sandbox mode, metrics sources, ad-hoc
   * metrics addresses). Without it — `canary spec` offline — those checks are skipped.
   */
  capabilities?: EngineCapabilities;
  /**
   * Supplies an id when the spec has none, from the service and the canary version (also when that
   * came from an image tag); the API passes a random one, so validation stays deterministic.
   */
  newReleaseId?: (named: { service: string; canaryVersion: string }) => string;
}

/**
 * The only release spec validator: the API's POST /v1/releases and `canary spec` both call it, so
 * they report the same problems (the API also passes its engine's capabilities). Validates a
 * submitted spec and fills in defaults.
 */
export function validateReleaseSpec(input: unknown, options: ValidateOptions = {}): SpecValidation {
  const { capabilities, newReleaseId } = options;
  const parsed = releaseSpecSchema.safeParse(input);
  if (!parsed.success) {
    // a spec this engine could not run anyway says so too, e.g. a sandbox router with a url
    const refused = capabilities ? capabilityProblems(typesOnly(input), capabilities) : [];
    return { ok: false, problems: [...refused, ...explainRetired(problemsFromZod(parsed.error))] };
  }
  const data = parsed.data;
  const completed = completeWorkloads(data.service, data.router?.type, data.workloads);
  const canaryVersion =
    data.canaryVersion ??
    versionFromImages(
      data.workloads?.type === 'kubernetes' ? data.workloads.canary?.images : undefined,
    );
  const problems = [
    ...(capabilities ? capabilityProblems(parsed.data, capabilities) : []),
    ...(canaryVersion !== undefined && data.stableVersion === canaryVersion
      ? [{ path: 'canaryVersion', message: `must differ from stableVersion "${canaryVersion}"` }]
      : []),
    ...crossFieldProblems(parsed.data),
    ...completed.problems,
    ...(canaryVersion === undefined
      ? [
          {
            path: 'canaryVersion',
            message:
              'is required (string) unless workloads.canary.images names exactly one image whose tag is a label value',
          },
        ]
      : []),
  ];
  if (problems.length > 0 || !completed.workloads || canaryVersion === undefined)
    return { ok: false, problems };
  const spec: SubmittedSpec = {
    ...data,
    canaryVersion,
    releaseId:
      data.releaseId ??
      (newReleaseId
        ? newReleaseId({ service: data.service, canaryVersion })
        : `${data.service}-${canaryVersion}`),
    router: data.router ?? defaultRouterSpec(data.service),
    workloads: completed.workloads,
  };
  return { ok: true, spec };
}

/** Whether the spec names its stable version; the workflow reads it from the cluster otherwise. */
export function hasStableVersion(spec: SubmittedSpec): spec is ReleaseSpec {
  return spec.stableVersion !== undefined;
}

/**
 * The workflow id of the release for a service: one release per service at a time. The "." cannot
 * occur in a namespace or service (DNS labels), so `team-a`/`web` and `team`/`a-web` never collide.
 */
export function releaseWorkflowId(namespace: string, service: string): string {
  return `canary.${namespace}.${service}`;
}
