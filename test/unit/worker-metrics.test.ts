/**
 * The pure parts of the worker's metrics: the visibility query per phase, the failure type an
 * activity error is counted under, and the object store's write listener (conflicts, outcomes).
 */
import { ApiException } from '@kubernetes/client-node';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ConflictRetriesExhaustedError } from '../../activities/kube/errors.js';
import {
  KINDS,
  objectRef,
  observeObjectWrites,
  ObjectStore,
  type ObjectApi,
} from '../../activities/kube/objects.js';
import { failureType, phaseQuery, WorkerMetrics } from '../../worker/metrics.js';

describe('phaseQuery', () => {
  it('counts only running releases for a phase that is not an end', () => {
    expect(phaseQuery('canary-releases', 'Progressing')).toBe(
      "WorkflowType = 'canaryRelease' AND TaskQueue = 'canary-releases' AND CanaryPhase = 'Progressing' AND ExecutionStatus = 'Running'",
    );
  });

  it('counts every release that ended in a final phase, whatever its execution status', () => {
    expect(phaseQuery('q', 'Failed')).toBe(
      "WorkflowType = 'canaryRelease' AND TaskQueue = 'q' AND CanaryPhase = 'Failed'",
    );
  });

  it('counts releases retrying a failing rollback or baking only while they run, and rejected ones as ended', () => {
    expect(phaseQuery('q', 'RollbackRetrying')).toContain(
      "CanaryPhase = 'RollbackRetrying' AND ExecutionStatus = 'Running'",
    );
    expect(phaseQuery('q', 'Baking')).toContain("AND ExecutionStatus = 'Running'");
    expect(phaseQuery('q', 'Rejected')).not.toContain('ExecutionStatus');
  });

  it('escapes a quote in the task queue name', () => {
    expect(phaseQuery("it's", 'RolledBack')).toContain("TaskQueue = 'it\\'s'");
  });
});

describe('failureType', () => {
  it('uses the Temporal failure type, the error class, or Cancelled', () => {
    expect(
      failureType(ApplicationFailure.create({ type: 'MetricsQueryError', message: 'bad query' })),
    ).toBe('MetricsQueryError');
    expect(failureType(new ConflictRetriesExhaustedError('ns/VirtualService/reviews', 6))).toBe(
      'ConflictRetriesExhaustedError',
    );
    expect(failureType(new CancelledFailure('aborted'))).toBe('Cancelled');
    expect(failureType('a string')).toBe('unknown');
  });
});

/** An object API whose replace answers 409 `conflicts` times before it succeeds. */
function conflictingApi(conflicts: number): ObjectApi {
  let version = 1;
  const object = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'ns', resourceVersion: '1' },
    spec: { weight: 0 },
  };
  return {
    getNamespacedCustomObject: async () => structuredClone(object),
    createNamespacedCustomObject: async () => object,
    deleteNamespacedCustomObject: async () => ({}),
    replaceNamespacedCustomObject: async (p) => {
      if (conflicts-- > 0)
        throw new ApiException(409, 'conflict', { message: 'the object has been modified' }, {});
      Object.assign(object, p.body, {
        metadata: { ...object.metadata, resourceVersion: String(++version) },
      });
      return object;
    },
  };
}

describe('the object store write listener', () => {
  const ref = objectRef(KINDS.virtualService, 'ns', 'reviews');

  it('hears each conflict and the write that finally lands', async () => {
    const heard: string[] = [];
    const stop = observeObjectWrites({
      written: (kind, outcome) => heard.push(`${kind}:${outcome}`),
      conflict: (kind) => heard.push(`${kind}:409`),
    });
    try {
      await new ObjectStore(conflictingApi(2), { backoffMs: 1 }).update(ref, (d) => {
        (d.spec as { weight: number }).weight = 10;
      });
    } finally {
      stop();
    }
    expect(heard).toEqual(['VirtualService:409', 'VirtualService:409', 'VirtualService:written']);
  });

  it('hears a write that gave up after every attempt conflicted as failed, and nothing once unsubscribed', async () => {
    const heard: string[] = [];
    const stop = observeObjectWrites({ written: (_kind, outcome) => heard.push(outcome) });
    const store = new ObjectStore(conflictingApi(10), { backoffMs: 1, maxAttempts: 2 });
    await expect(
      store.update(ref, (d) => {
        (d.spec as { weight: number }).weight = 20;
      }),
    ).rejects.toBeInstanceOf(ConflictRetriesExhaustedError);
    stop();
    await store.update(ref, () => false);
    expect(heard).toEqual(['failed']);
  });

  it('feeds the worker metrics once they observe writes', async () => {
    const metrics = new WorkerMetrics({ processMetrics: false });
    const stop = metrics.observeObjectWrites();
    try {
      await new ObjectStore(conflictingApi(1), { backoffMs: 1 }).update(ref, (d) => {
        (d.spec as { weight: number }).weight = 30;
      });
    } finally {
      stop();
    }
    const { body } = await metrics.render();
    expect(body).toContain('canary_kube_write_conflicts_total{kind="VirtualService"} 1');
    expect(body).toContain(
      'canary_kube_write_duration_seconds_count{kind="VirtualService",outcome="written"} 1',
    );
    // no visibility connection: no phase gauge
    expect(body).not.toContain('canary_releases{');
  });
});
