/**
 * How a failed activity reads in a release's outcome: the error's own words plus what its kind
 * means, carried from the activity (activities/errors.ts) to the workflow (activity-proxies.ts).
 */
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { toActivityFailure } from '../../activities/errors.js';
import { ObjectNotFoundError } from '../../activities/kube/errors.js';
import { explainFailure } from '../../core/errors.js';
import { explainActivityFailure } from '../../workflows/activity-proxies.js';

function failedActivity(cause: Error): ActivityFailure {
  return new ActivityFailure(
    'activity failed',
    'finishRelease',
    '7',
    RetryState.NON_RETRYABLE_FAILURE,
    'worker-1',
    cause,
  );
}

describe('explaining an activity failure in an outcome', () => {
  it('adds what a not-found failure means to the error message', () => {
    const failure = toActivityFailure(
      new ObjectNotFoundError('shop/VirtualService/web'),
    ) as ApplicationFailure;
    const text = explainActivityFailure(failedActivity(failure));
    expect(text).toBe(
      'shop/VirtualService/web not found [not-found: an object named by the release does not exist]',
    );
  });

  it('names the object when the message does not', () => {
    expect(
      explainFailure('write refused', { kind: 'forbidden', object: 'shop/Deployment/web' }),
    ).toBe(
      "write refused (shop/Deployment/web) [forbidden: not allowed: check the worker's credentials and RBAC]",
    );
  });

  it('keeps the message alone when the failure carries no kind (a plain error or an older worker)', () => {
    const plain = ApplicationFailure.create({ message: 'connection reset', type: 'Error' });
    expect(explainActivityFailure(failedActivity(plain))).toBe('connection reset');
    expect(explainActivityFailure(new Error('boom'))).toBe('boom');
  });
});
