/**
 * A spec that has the engine deploy the canary (`workloads.canary`): image references and the
 * pod-template patch are judged at submission with their field paths, the versions may be left
 * out where the engine can tell them, and the sandbox refuses what only Kubernetes can do.
 */
import { describe, expect, it } from 'vitest';
import { validateReleaseSpec } from '../../core/spec.js';
import { IMAGE_REF_RE, imageTag } from '../../core/workloads/canary.js';

const workloads = (canary: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  type: 'kubernetes',
  stableDeployment: 'web',
  canary,
  ...more,
});
const base = { service: 'web', stableVersion: '1.4.0', canaryVersion: '1.5.0' };
const problemsOf = (input: Record<string, unknown>) => {
  const result = validateReleaseSpec({ ...base, ...input });
  return result.ok ? [] : result.problems;
};

describe('image references', () => {
  it('accepts references with a registry, a port, a path, a tag and a digest', () => {
    for (const ref of [
      'app',
      'app:1.5.0',
      'registry.example.com/team/app:1.5.0',
      'localhost:5000/app:v2',
      `ghcr.io/org/app@sha256:${'a'.repeat(64)}`,
      `registry.example.com/app:1.5.0@sha256:${'0f'.repeat(32)}`,
    ])
      expect({ ref, ok: IMAGE_REF_RE.test(ref) }).toEqual({ ref, ok: true });
  });

  it('refuses spaces, an uppercase repository path, an empty tag and a short digest', () => {
    for (const ref of [
      'registry.example.com/app :1.5.0',
      'registry.example.com/Team/app:1',
      'app:',
      'app@sha256:abc',
      '',
    ])
      expect({ ref, ok: IMAGE_REF_RE.test(ref) }).toEqual({ ref, ok: false });
  });

  it('reads the tag, and nothing from a reference without one', () => {
    expect(imageTag('localhost:5000/app:v2')).toBe('v2');
    expect(imageTag('localhost:5000/app')).toBeUndefined();
  });

  it('reports a bad image at workloads.canary.images.<container>', () => {
    expect(problemsOf({ workloads: workloads({ images: { app: 'Registry/App:1' } }) })).toEqual([
      {
        path: 'workloads.canary.images.app',
        message:
          'must be an image reference such as "registry.example.com/team/app:1.5.0" or "...@sha256:<64 hex digits>" (lowercase repository path, no spaces)',
      },
    ]);
  });
});

describe('the pod-template patch', () => {
  it('refuses a selector, the version label, engine-set names and non-template fields, each at its path', () => {
    const podTemplatePatch = {
      selector: { matchLabels: { app: 'x' } },
      spec: { selector: {} },
      metadata: { name: 'x', labels: { version: 'v9', team: 'books', bad: 'not ok!' } },
      replicas: 3,
    };
    expect(problemsOf({ workloads: workloads({ podTemplatePatch }) }).map((p) => p.path)).toEqual([
      'workloads.canary.podTemplatePatch.selector',
      'workloads.canary.podTemplatePatch.replicas',
      'workloads.canary.podTemplatePatch.spec.selector',
      'workloads.canary.podTemplatePatch.metadata.name',
      'workloads.canary.podTemplatePatch.metadata.labels.version',
      'workloads.canary.podTemplatePatch.metadata.labels.bad',
    ]);
  });

  it('accepts a patch of annotations, labels (null removes one) and the pod spec', () => {
    const podTemplatePatch = {
      metadata: { annotations: { a: 'b' }, labels: { team: 'books', old: null } },
      spec: { terminationGracePeriodSeconds: 5 },
    };
    expect(problemsOf({ workloads: workloads({ podTemplatePatch }) })).toEqual([]);
  });

  it('needs images or a patch, or the canary would run the stable version', () => {
    expect(problemsOf({ workloads: workloads({ images: {} }) })).toEqual([
      {
        path: 'workloads.canary',
        message:
          'needs images or a podTemplatePatch (otherwise the canary would run the stable version)',
      },
    ]);
  });
});

describe('the canary Deployment and the versions', () => {
  it('names the canary Deployment after the stable one and deletes nothing by default', () => {
    const result = validateReleaseSpec({
      ...base,
      workloads: workloads({ images: { app: 'registry.example.com/web:1.5.0' } }),
    });
    expect(result.ok && result.spec.workloads).toMatchObject({
      canaryDeployment: 'web-canary',
      canary: { onEnd: 'scaleToZero' },
    });
  });

  it('refuses a canary Deployment that is the stable one, at workloads.canaryDeployment', () => {
    expect(
      problemsOf({
        workloads: workloads({ images: { app: 'web:2' } }, { canaryDeployment: 'web' }),
      }),
    ).toEqual([
      {
        path: 'workloads.canaryDeployment',
        message: 'must differ from stableDeployment "web": the canary is a Deployment of its own',
      },
    ]);
  });

  it('asks for a canary Deployment name when the default would be longer than a label', () => {
    const long = 'a'.repeat(60);
    expect(problemsOf({ workloads: { type: 'kubernetes', stableDeployment: long } })).toEqual([
      {
        path: 'workloads.canaryDeployment',
        message: `is required: the default "${long}-canary" is longer than 63 characters`,
      },
    ]);
  });

  it("takes canaryVersion from the one image's tag, and builds the release id from it", () => {
    const result = validateReleaseSpec(
      {
        service: 'web',
        workloads: workloads({ images: { app: 'registry.example.com/web:1.5.0' } }),
      },
      { newReleaseId: ({ service, canaryVersion }) => `${service}-${canaryVersion}-x` },
    );
    expect(result.ok && result.spec).toMatchObject({
      canaryVersion: '1.5.0',
      releaseId: 'web-1.5.0-x',
    });
    expect(result.ok && result.spec.stableVersion).toBeUndefined();
  });

  it('asks for canaryVersion when no single tagged image gives it', () => {
    const message =
      'is required (string) unless workloads.canary.images names exactly one image whose tag is a label value';
    for (const images of [
      { app: 'registry.example.com/web', side: 'registry.example.com/side:1' },
      { app: `registry.example.com/web@sha256:${'a'.repeat(64)}` },
    ])
      expect(problemsOf({ canaryVersion: undefined, workloads: workloads({ images }) })).toEqual([
        { path: 'canaryVersion', message },
      ]);
    expect(problemsOf({ canaryVersion: undefined })).toEqual([{ path: 'canaryVersion', message }]);
  });

  it('refuses a canaryVersion from the tag that equals stableVersion', () => {
    expect(
      problemsOf({
        stableVersion: '1.5.0',
        canaryVersion: undefined,
        workloads: workloads({ images: { app: 'web:1.5.0' } }),
      }),
    ).toEqual([{ path: 'canaryVersion', message: 'must differ from stableVersion "1.5.0"' }]);
  });
});

describe('the sandbox', () => {
  it('refuses a canary to deploy and a missing stableVersion, naming the fields', () => {
    expect(
      problemsOf({
        stableVersion: undefined,
        router: { type: 'sandbox' },
        workloads: { type: 'sandbox', canary: { images: { app: 'web:2' } } },
      }),
    ).toEqual([
      {
        path: 'workloads.canary',
        message:
          'the sandbox runs fixed demo versions, so the engine cannot deploy a canary there; leave workloads.canary out',
      },
      {
        path: 'stableVersion',
        message:
          'is required (string) with the sandbox: it has no stable Deployment to read the version from',
      },
    ]);
  });
});
