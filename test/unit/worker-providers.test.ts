/**
 * The worker's providers: sandbox releases go through the router factory's sandbox hook, with the
 * worker's default control API, and need no Kubernetes configuration.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateReleaseSpec, type ReleaseSpec } from '../../core/spec.js';
import { SandboxRouter } from '../../sandbox/sandbox-router.js';
import { createProviders } from '../../worker/providers.js';

function spec(router: unknown): ReleaseSpec {
  const result = validateReleaseSpec({ service: 'web', stableVersion: 'v1', canaryVersion: 'v2', router });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
}

// a kubeconfig path that does not exist: any attempt to build Kubernetes clients throws
const noCluster = { kubeconfigPath: join(mkdtempSync(join(tmpdir(), 'canary-nokube-')), 'missing'), env: {} };

describe('the worker providers', () => {
  it('builds the sandbox router with the worker default address and without a cluster', () => {
    const providers = createProviders({ kube: noCluster, defaults: { sandboxUrl: 'http://127.0.0.1:18089' } });
    const router = providers.routerFor(spec({ type: 'sandbox' }));
    expect(router).toBeInstanceOf(SandboxRouter);
    expect(router.target).toBe('sandbox/router/http://127.0.0.1:18089');
  });

  it('lets the spec address of the sandbox router win over the worker default', () => {
    const providers = createProviders({ kube: noCluster, defaults: { sandboxUrl: 'http://127.0.0.1:18089' } });
    expect(providers.routerFor(spec({ type: 'sandbox', url: 'http://127.0.0.1:28089' })).target).toBe('sandbox/router/http://127.0.0.1:28089');
  });

  it('builds a Kubernetes router from the configured cluster, and says so when there is none', () => {
    const providers = createProviders({ kube: noCluster });
    expect(() => providers.routerFor(spec({ type: 'nginx', ingress: 'web', stableService: 'web', canaryService: 'web-canary' }))).toThrow(/does not exist/);
  });
});
