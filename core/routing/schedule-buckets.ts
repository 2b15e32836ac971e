/**
 * A schedule in `userBuckets` mode: each step's weight is a share of users, rendered as a
 * userBucket cohort at that percent next to the spec's own cohorts, while the weights keep every
 * other request on stable. This file owns the cohorts a step routes by and the submission checks
 * of the mode; the routing activity (activities/release-activities.ts) applies them. Pure.
 */
import { z } from 'zod';
import type { SpecProblem } from '../problems.js';
import {
  routerCohortProblems,
  type Cohort,
  type RouterSpec,
  type UserBucketSource,
  userBucketSourceSchema,
} from './config.js';

/**
 * How a step's weight is applied: `weights` (the default) splits requests at random; `userBuckets`
 * gives the step's weight as a share of users (core/routing/buckets.ts), the same users at every
 * step, while every other request stays on stable.
 */
export const scheduleModeFields = {
  mode: z.enum(['weights', 'userBuckets']).optional(),
  /** Where the user id is read, for `mode: "userBuckets"`. */
  userBucket: userBucketSourceSchema.optional(),
};

/** The parts of a spec this mode reads. */
interface BucketScheduled {
  schedule: { mode?: 'weights' | 'userBuckets'; userBucket?: UserBucketSource };
  cohorts: Cohort[];
  router?: RouterSpec;
}

/** The id source when the schedule gives shares of users; undefined for a weight schedule. */
export function scheduleUserBucket(
  spec: Pick<BucketScheduled, 'schedule'>,
): UserBucketSource | undefined {
  return spec.schedule.mode === 'userBuckets' ? spec.schedule.userBucket : undefined;
}

/**
 * The cohorts routed to the canary at a step of `percent`% of users: the spec's own, then the
 * bucket (none at 0%). At 100% the step is "everyone", which plain weights express.
 */
export function bucketStepCohorts(
  spec: BucketScheduled,
  source: UserBucketSource,
  percent: number,
): Cohort[] {
  if (percent <= 0) return spec.cohorts;
  return [...spec.cohorts, { type: 'userBucket', ...source, percent: Math.min(percent, 100) }];
}

/**
 * `mode: "userBuckets"` needs `userBucket`, which no other mode takes; the router must be able to
 * express the bucket next to the spec's cohorts (NGINX: one header rule; no hashed ids outside
 * the sandbox), reported at the schedule's paths.
 */
export function scheduleBucketProblems(spec: BucketScheduled): SpecProblem[] {
  const { mode, userBucket } = spec.schedule;
  if (mode !== 'userBuckets') {
    return userBucket
      ? [{ path: 'schedule.userBucket', message: 'is only used with mode "userBuckets"' }]
      : [];
  }
  if (!userBucket)
    return [
      {
        path: 'schedule.userBucket',
        message:
          'is required with mode "userBuckets": the header with the user id and its idFormat',
      },
    ];
  if (!spec.router) return [];
  const at = spec.cohorts.length;
  return routerCohortProblems(spec.router, bucketStepCohorts(spec, userBucket, 1))
    .filter((p) => p.path.startsWith(`cohorts[${at}]`))
    .map((p) => ({
      path: `schedule.userBucket${p.path.slice(`cohorts[${at}]`.length)}`,
      message: p.message.replace(`cohorts[${at}] is`, 'schedule.userBucket is'),
    }));
}
