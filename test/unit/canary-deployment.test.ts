/**
 * The canary Deployment built from the stable one, and the stable's template at promotion and undo
 * (activities/workloads/canary-deployment.ts, promotion.ts): pure functions, checked field by field.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  buildCanaryDeployment,
  mergePatch,
  promotionProblems,
  updatedCanary,
  withCanaryChanges,
} from '../../activities/workloads/canary-deployment.js';
import { promotedFromCanary, restoredTemplate } from '../../activities/workloads/promotion.js';

function stable(): V1Deployment {
  return {
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', team: 'books' } },
    spec: {
      replicas: 6,
      selector: { matchLabels: { app: 'web', track: 'stable' } },
      strategy: { type: 'RollingUpdate' },
      template: {
        metadata: { labels: { app: 'web', track: 'stable', version: '1.4.0' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.example.com/web:1.4.0',
              env: [{ name: 'A', value: '1' }],
            },
            { name: 'proxy', image: 'envoy:1.30' },
          ],
          initContainers: [{ name: 'migrate', image: 'registry.example.com/web-migrate:1.4.0' }],
        },
      },
    },
  };
}

const identity = {
  namespace: 'shop',
  service: 'web',
  canaryDeployment: 'web-canary',
  canaryVersion: '1.5.0',
  canary: {
    images: {
      app: 'registry.example.com/web:1.5.0',
      migrate: 'registry.example.com/web-migrate:1.5.0',
    },
  },
};

describe('a JSON merge patch (RFC 7386)', () => {
  it('merges objects key by key, deletes on null and replaces lists whole', () => {
    expect(
      mergePatch(
        { a: { b: 1, c: 2 }, list: [1, 2], keep: true },
        { a: { b: null, d: 3 }, list: [9], e: 'new' },
      ),
    ).toEqual({ a: { c: 2, d: 3 }, list: [9], keep: true, e: 'new' });
  });
});

describe('building the canary Deployment from the stable one', () => {
  it('runs the new images under its own name, version and arm label, at 0 replicas, owned by the release', () => {
    const { deployment, problems } = buildCanaryDeployment(stable(), identity);
    expect(problems).toEqual([]);
    expect(deployment.metadata).toEqual({
      name: 'web-canary',
      namespace: 'shop',
      labels: {
        app: 'web',
        team: 'books',
        'canary-engine.io/service': 'web',
        'canary-engine.io/arm': 'canary',
      },
      annotations: { 'canary-engine.io/owned-by': 'shop/web' },
    });
    expect(deployment.spec?.replicas).toBe(0);
    expect(deployment.spec?.strategy).toEqual({ type: 'RollingUpdate' });
    expect(deployment.spec?.selector).toEqual({
      matchLabels: {
        app: 'web',
        track: 'stable',
        version: '1.5.0',
        'canary-engine.io/arm': 'canary',
      },
    });
    const template = deployment.spec?.template;
    expect(template?.metadata?.labels).toEqual({
      app: 'web',
      track: 'stable',
      version: '1.5.0',
      'canary-engine.io/arm': 'canary',
    });
    expect(template?.spec?.containers.map((c) => c.image)).toEqual([
      'registry.example.com/web:1.5.0',
      'envoy:1.30',
    ]);
    expect(template?.spec?.containers[0]?.env).toEqual([{ name: 'A', value: '1' }]);
    expect(template?.spec?.initContainers?.[0]?.image).toBe(
      'registry.example.com/web-migrate:1.5.0',
    );
  });

  it("overrides the stable's own arm label in the selector, so the two selectors never overlap", () => {
    const s = stable();
    s.spec!.selector.matchLabels = { app: 'web', 'canary-engine.io/arm': 'stable' };
    s.spec!.template.metadata!.labels = { app: 'web', 'canary-engine.io/arm': 'stable' };
    const { deployment, problems } = buildCanaryDeployment(s, identity);
    expect(problems).toEqual([]);
    expect(deployment.spec?.selector.matchLabels).toEqual({
      app: 'web',
      'canary-engine.io/arm': 'canary',
      version: '1.5.0',
    });
  });

  it('names the field of an image for a container the stable does not have', () => {
    const { problems } = buildCanaryDeployment(stable(), {
      ...identity,
      canary: { images: { sidecar: 'x:1' } },
    });
    expect(problems).toEqual([
      {
        field: 'workloads.canary.images.sidecar',
        message:
          'the stable Deployment has no container "sidecar" (it has "app", "proxy", "migrate")',
      },
    ]);
  });

  it("applies the patch, and names the field when it changes a label of the stable's selector", () => {
    const { deployment, problems } = buildCanaryDeployment(stable(), {
      ...identity,
      canary: {
        podTemplatePatch: {
          metadata: { labels: { track: 'canary', tier: 'web' }, annotations: { a: 'b' } },
          spec: { terminationGracePeriodSeconds: 5 },
        },
      },
    });
    expect(problems).toEqual([
      {
        field: 'workloads.canary.podTemplatePatch.metadata.labels.track',
        message:
          'may not change "track", a label of the stable Deployment\'s selector (track=stable)',
      },
    ]);
    expect(deployment.spec?.template.metadata?.annotations).toEqual({ a: 'b' });
    expect(deployment.spec?.template.spec?.terminationGracePeriodSeconds).toBe(5);
  });

  it('updates an existing canary in place keeping its replicas, and recreates it when its selector must change', () => {
    const wanted = buildCanaryDeployment(stable(), identity).deployment;
    const existing = structuredClone(wanted);
    existing.spec!.replicas = 3;
    existing.metadata!.resourceVersion = '42';
    existing.spec!.template.spec!.containers[0]!.image = 'registry.example.com/web:1.3.0';
    const same = updatedCanary(existing, wanted);
    expect(same.recreate).toBe(false);
    expect(same.deployment.spec?.replicas).toBe(3);
    expect(same.deployment.metadata?.resourceVersion).toBe('42');
    expect(same.deployment.spec?.template.spec?.containers[0]?.image).toBe(
      'registry.example.com/web:1.5.0',
    );
    const next = buildCanaryDeployment(stable(), { ...identity, canaryVersion: '1.6.0' });
    expect(updatedCanary(existing, next.deployment).recreate).toBe(true);
  });
});

describe('the stable at promotion and at undo', () => {
  it("gives the stable the canary's images, patch and version label, never the arm label nor a new selector", () => {
    const { template, problems } = withCanaryChanges(
      stable(),
      { ...identity.canary, podTemplatePatch: { metadata: { annotations: { a: 'b' } } } },
      '1.5.0',
    );
    expect(problems).toEqual([]);
    expect(template.metadata).toEqual({
      labels: { app: 'web', track: 'stable', version: '1.5.0' },
      annotations: { a: 'b' },
    });
    expect(template.spec?.containers[0]?.image).toBe('registry.example.com/web:1.5.0');
  });

  it('says promotion cannot relabel a stable whose selector holds the version label', () => {
    const s = stable();
    s.spec!.selector.matchLabels = { app: 'web', version: '1.4.0' };
    expect(promotionProblems(s).map((p) => p.field)).toEqual(['workloads.stableDeployment']);
    expect(promotionProblems(stable())).toEqual([]);
  });

  it("promotes a CI-applied canary's images with its version label", () => {
    const canary = stable();
    canary.spec!.template.spec!.containers = [
      { name: 'app', image: 'registry.example.com/web:1.5.0' },
    ];
    const template = promotedFromCanary(stable(), canary, '1.5.0', false);
    expect(template?.metadata?.labels?.version).toBe('1.5.0');
    expect(template?.spec?.containers.map((c) => c.image)).toEqual([
      'registry.example.com/web:1.5.0',
      'envoy:1.30',
    ]);
    canary.spec!.template.spec!.containers = [{ name: 'other', image: 'x:1' }];
    canary.spec!.template.spec!.initContainers = [];
    expect(promotedFromCanary(stable(), canary, '1.5.0', false)).toBeUndefined();
  });

  it('restores a whole-template snapshot, an older images-only one, and refuses anything else', () => {
    const before = stable().spec!.template;
    const promoted = stable();
    promoted.spec!.template = withCanaryChanges(stable(), identity.canary, '1.5.0').template;
    expect(restoredTemplate(promoted, { template: before })).toEqual(before);
    const fromImages = restoredTemplate(promoted, {
      images: { app: 'registry.example.com/web:1.4.0' },
    });
    expect(fromImages?.spec?.containers[0]?.image).toBe('registry.example.com/web:1.4.0');
    expect(restoredTemplate(promoted, { nonsense: true })).toBeUndefined();
  });
});
