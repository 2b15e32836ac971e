/**
 * The one error base class (core/errors.ts) and the one rule that turns its errors into Temporal
 * failures (activities/errors.ts): every family's name, kind, retryability and object, and that
 * the workflow can read the kind back from a failure that went through Temporal's converter.
 */
import {
  ApplicationFailure,
  DefaultFailureConverter,
  defaultPayloadConverter,
} from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { toActivityFailure } from '../../activities/errors.js';
import {
  ConflictRetriesExhaustedError,
  KubeConfigError,
  KubeError,
  KubeRequestError,
  ObjectNotFoundError,
} from '../../activities/kube/errors.js';
import {
  MetricsConfigError,
  MetricsQueryError,
  MetricsUnavailableError,
} from '../../activities/metrics/errors.js';
import {
  InvalidWeightsError,
  RouteVerificationError,
  RouterConfigError,
  RouterError,
  UnsupportedRouterError,
} from '../../activities/routers/errors.js';
import { PromotionError, WorkloadError } from '../../activities/workloads/errors.js';
import { EngineError, failureDetails, type ErrorKind } from '../../core/errors.js';
import { JudgeInputError } from '../../core/judge/index.js';
import { PromqlRenderError } from '../../core/metrics/promql.js';
import {
  ControlError,
  SandboxRequestError,
  SandboxUnreachableError,
  SandboxWorkloadError,
} from '../../sandbox/errors.js';

const VS = 'shop/VirtualService/web';
const DEPLOY = 'shop/Deployment/web';
const SANDBOX = 'sandbox/router/http://127.0.0.1:8089';

/** One example of every engine error, with the name, kind, retryability and object it must have. */
const EXAMPLES: [EngineError, string, ErrorKind, boolean, string | undefined][] = [
  [new ObjectNotFoundError(VS), 'ObjectNotFoundError', 'not-found', true, VS],
  [
    new ConflictRetriesExhaustedError(VS, 5),
    'ConflictRetriesExhaustedError',
    'conflict',
    false,
    VS,
  ],
  [new KubeRequestError(VS, 'patch', 403, 'forbidden'), 'KubeRequestError', 'forbidden', true, VS],
  [
    new KubeRequestError(VS, 'patch', 422, 'invalid'),
    'KubeRequestError',
    'invalid-input',
    true,
    VS,
  ],
  [new KubeRequestError(VS, 'patch', 409, 'conflict'), 'KubeRequestError', 'conflict', false, VS],
  [new KubeRequestError(VS, 'patch', 503, 'down'), 'KubeRequestError', 'unavailable', false, VS],
  [
    new KubeRequestError(VS, 'get', undefined, 'ECONNREFUSED'),
    'KubeRequestError',
    'unavailable',
    false,
    VS,
  ],
  [new KubeConfigError('no kubeconfig'), 'KubeConfigError', 'config', false, undefined],
  [new InvalidWeightsError(VS, ['sum is 90']), 'InvalidWeightsError', 'invalid-input', true, VS],
  [new RouterConfigError(VS, 'has no HTTP routes'), 'RouterConfigError', 'config', true, VS],
  [
    new RouteVerificationError(VS, '90/10', '100/0'),
    'RouteVerificationError',
    'verification',
    false,
    VS,
  ],
  [
    new UnsupportedRouterError('sandbox', 'not built in'),
    'UnsupportedRouterError',
    'config',
    true,
    undefined,
  ],
  [
    new WorkloadError(`${DEPLOY} has no spec`, {
      kind: 'config',
      nonRetryable: true,
      object: DEPLOY,
    }),
    'WorkloadError',
    'config',
    true,
    DEPLOY,
  ],
  [
    new PromotionError(`${DEPLOY} was not ready`, {
      kind: 'timeout',
      nonRetryable: true,
      object: DEPLOY,
    }),
    'PromotionError',
    'timeout',
    true,
    DEPLOY,
  ],
  [
    new MetricsUnavailableError('down', { status: 503 }),
    'MetricsUnavailableError',
    'unavailable',
    false,
    undefined,
  ],
  [
    new MetricsQueryError('bad_data', { errorType: 'bad_data', status: 400 }),
    'MetricsQueryError',
    'invalid-input',
    true,
    undefined,
  ],
  [new MetricsConfigError('not set'), 'MetricsConfigError', 'config', true, undefined],
  [
    new MetricsConfigError('rejected', { status: 401 }),
    'MetricsConfigError',
    'forbidden',
    true,
    undefined,
  ],
  [
    new JudgeInputError(['look: look must be at least 1']),
    'JudgeInputError',
    'invalid-input',
    true,
    undefined,
  ],
  [
    new PromqlRenderError('"a b" is not a Prometheus metric name'),
    'PromqlRenderError',
    'config',
    true,
    undefined,
  ],
  [
    new ControlError(409, 'no-canary', 'no canary version is set'),
    'ControlError',
    'conflict',
    true,
    undefined,
  ],
  [
    new ControlError(400, 'invalid-weights', 'invalid weights'),
    'ControlError',
    'invalid-input',
    true,
    undefined,
  ],
  [
    new SandboxUnreachableError(SANDBOX, 'connect ECONNREFUSED'),
    'SandboxUnreachableError',
    'unavailable',
    false,
    SANDBOX,
  ],
  [
    new SandboxRequestError(SANDBOX, 'PUT /control/weights of', 409, 'no-canary', 'no canary'),
    'SandboxRequestError',
    'conflict',
    true,
    SANDBOX,
  ],
  [
    new SandboxRequestError(SANDBOX, 'PUT /control/weights of', 400, 'invalid-weights', 'sum'),
    'SandboxRequestError',
    'invalid-input',
    true,
    SANDBOX,
  ],
  [
    new SandboxRequestError(
      SANDBOX,
      'GET /control/state of',
      502,
      'unexpected-response',
      'bad gateway',
    ),
    'SandboxRequestError',
    'unavailable',
    false,
    SANDBOX,
  ],
  [
    new SandboxRequestError(SANDBOX, 'GET /control/state of', 404, 'unexpected-response', '<html>'),
    'SandboxRequestError',
    'config',
    true,
    SANDBOX,
  ],
  [
    new SandboxRequestError(SANDBOX, 'GET /control/state of', 400, 'toString', 'odd'),
    'SandboxRequestError',
    'config',
    true,
    SANDBOX,
  ],
  [
    new SandboxWorkloadError(`${SANDBOX}: another release is in progress`, {
      kind: 'conflict',
      nonRetryable: true,
      object: SANDBOX,
    }),
    'SandboxWorkloadError',
    'conflict',
    true,
    SANDBOX,
  ],
];

describe('EngineError', () => {
  it.each(EXAMPLES.map((e) => [e[1], e[2], ...e] as const))(
    'gives %s (%s) its class name, kind, retryability and object',
    (_name, _kind, error, name, kind, nonRetryable, object) => {
      expect(error).toBeInstanceOf(EngineError);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ name, kind, nonRetryable, object });
      expect(String(error)).toBe(`${name}: ${error.message}`);
    },
  );

  it('keeps the Kubernetes families apart from the sandbox, whose errors are not Kubernetes errors', () => {
    expect(new RouterConfigError(VS, 'x')).toBeInstanceOf(RouterError);
    expect(new RouterConfigError(VS, 'x')).toBeInstanceOf(KubeError);
    expect(
      new PromotionError('x', { kind: 'timeout', nonRetryable: true, object: DEPLOY }),
    ).toBeInstanceOf(WorkloadError);
    for (const error of [
      new SandboxUnreachableError(SANDBOX, 'x'),
      new SandboxRequestError(SANDBOX, 'GET', 400, 'invalid-request', 'x'),
      new SandboxWorkloadError('x', { kind: 'conflict', nonRetryable: true, object: SANDBOX }),
    ]) {
      expect(error).not.toBeInstanceOf(KubeError);
      expect(error).not.toBeInstanceOf(RouterError);
    }
  });

  it('keeps the cause it was given', () => {
    const cause = new Error('socket hang up');
    expect(new KubeRequestError(VS, 'get', undefined, 'socket hang up', { cause }).cause).toBe(
      cause,
    );
    expect(new SandboxUnreachableError(SANDBOX, 'x', { cause }).cause).toBe(cause);
    expect(new MetricsUnavailableError('down', { cause }).cause).toBe(cause);
  });
});

describe('toActivityFailure', () => {
  it.each(EXAMPLES.map((e) => [e[1], e[2], ...e] as const))(
    'turns %s (%s) into a failure of the same type, message and retryability, with its kind and object',
    (_name, _kind, error, name, kind, nonRetryable, object) => {
      const failure = toActivityFailure(error) as ApplicationFailure;
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: name, message: error.message, nonRetryable });
      expect(failure.cause).toBe(error);
      expect(failureDetails(failure.details)).toEqual(
        object === undefined ? { kind } : { kind, object },
      );
    },
  );

  it('keeps a metrics error that was retryable retryable, and one that was not non-retryable', () => {
    expect(toActivityFailure(new MetricsUnavailableError('down'))).toMatchObject({
      type: 'MetricsUnavailableError',
      nonRetryable: false,
    });
    expect(toActivityFailure(new MetricsQueryError('bad'))).toMatchObject({
      type: 'MetricsQueryError',
      nonRetryable: true,
    });
    expect(toActivityFailure(new MetricsConfigError('bad'))).toMatchObject({
      type: 'MetricsConfigError',
      nonRetryable: true,
    });
  });

  it('leaves errors that are not engine errors, and failures already made, to Temporal', () => {
    const plain = new Error('analysis cancelled');
    expect(toActivityFailure(plain)).toBe(plain);
    const made = ApplicationFailure.nonRetryable('already a failure', 'Custom');
    expect(toActivityFailure(made)).toBe(made);
    const lookalike = Object.assign(new Error('duck'), { nonRetryable: true });
    expect(toActivityFailure(lookalike)).toBe(lookalike);
  });

  it('carries the kind and object through Temporal’s failure converter, so the workflow can read them', () => {
    const converter = new DefaultFailureConverter();
    const sent = toActivityFailure(new ObjectNotFoundError(VS)) as ApplicationFailure;
    const received = converter.failureToError(
      converter.errorToFailure(sent, defaultPayloadConverter),
      defaultPayloadConverter,
    );
    expect(received).toBeInstanceOf(ApplicationFailure);
    expect(received).toMatchObject({
      type: 'ObjectNotFoundError',
      nonRetryable: true,
      message: `${VS} not found`,
    });
    expect(failureDetails((received as ApplicationFailure).details)).toEqual({
      kind: 'not-found',
      object: VS,
    });
  });
});

describe('failureDetails', () => {
  it('reads nothing from failures that did not come from an engine error', () => {
    expect(failureDetails(undefined)).toBeUndefined();
    expect(failureDetails(null)).toBeUndefined();
    expect(failureDetails([])).toBeUndefined();
    expect(failureDetails(['text'])).toBeUndefined();
    expect(failureDetails([{ kind: 'exploded' }])).toBeUndefined();
  });

  it('drops an object that is not a string', () => {
    expect(failureDetails([{ kind: 'conflict', object: 42 }])).toEqual({ kind: 'conflict' });
  });
});
