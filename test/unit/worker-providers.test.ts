/**
 * The worker's providers: sandbox releases go through the one sandbox seam, at the local stack's
 * own control API (never a spec's), and need no Kubernetes configuration; only a worker in sandbox
 * mode has the sandbox providers, and one without them refuses sandbox specs, naming the field,
 * without retries.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsupportedRouterError } from '../../activities/routers/errors.js';
import { UnsupportedWorkloadsError } from '../../activities/workloads/errors.js';
import { validateReleaseSpec, type ReleaseSpec } from '../../core/spec.js';
import { withStableVersion } from '../harness/release-spec.js';
import { sandboxProviders } from '../../sandbox/providers.js';
import { SandboxRouter } from '../../sandbox/sandbox-router.js';
import { SandboxWorkloads } from '../../sandbox/sandbox-workloads.js';
import { engineEnvSchema } from '../../worker/config.js';
import {
  createProviders,
  providerOptionsFromEnv,
  type SandboxProvidersModule,
} from '../../worker/providers.js';

function spec(router: unknown): ReleaseSpec {
  const result = validateReleaseSpec({
    service: 'web',
    stableVersion: 'v1',
    canaryVersion: 'v2',
    router,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return withStableVersion(result.spec);
}

const thrown = (work: () => unknown): unknown => {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
};

// a kubeconfig path that does not exist: any attempt to build Kubernetes clients throws
const noCluster = {
  kubeconfigPath: join(mkdtempSync(join(tmpdir(), 'canary-nokube-')), 'missing'),
  env: {},
};

describe('the worker providers', () => {
  it('builds the sandbox router with the worker default address and without a cluster', () => {
    const providers = createProviders({
      kube: noCluster,
      sandbox: sandboxProviders({ defaultUrl: 'http://127.0.0.1:18089' }),
    });
    const router = providers.routerFor(spec({ type: 'sandbox' }));
    expect(router).toBeInstanceOf(SandboxRouter);
    expect(router.target).toBe('sandbox/router/http://127.0.0.1:18089');
    expect(providers.workloadsFor(spec({ type: 'sandbox' }))).toBeInstanceOf(SandboxWorkloads);
  });

  it("never lets a spec choose the sandbox router's address: router.url is refused, naming it", () => {
    // it used to win over the worker's address: any deployer could make the worker call any URL
    const result = validateReleaseSpec({
      service: 'web',
      stableVersion: 'v1',
      canaryVersion: 'v2',
      router: { type: 'sandbox', url: 'http://127.0.0.1:28089' },
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      {
        path: 'router.url',
        message:
          "is not a known field: a spec cannot name the sandbox router's address (it is the local stack's own, CANARY_SANDBOX_URL)",
      },
    ]);
  });

  it('builds a Kubernetes router from the configured cluster, and says so when there is none', () => {
    const providers = createProviders({ kube: noCluster });
    expect(() =>
      providers.routerFor(
        spec({ type: 'nginx', ingress: 'web', stableService: 'web', canaryService: 'web-canary' }),
      ),
    ).toThrow(/does not exist/);
    expect(() =>
      providers.workloadsFor(
        spec({ type: 'nginx', ingress: 'web', stableService: 'web', canaryService: 'web-canary' }),
      ),
    ).toThrow(/does not exist/);
  });

  it('refuses a sandbox spec without retries, naming router.type and workloads.type, when started without the sandbox providers', () => {
    const providers = createProviders({ kube: noCluster });
    const router = thrown(() => providers.routerFor(spec({ type: 'sandbox' })));
    expect(router).toBeInstanceOf(UnsupportedRouterError);
    expect(router).toMatchObject({
      nonRetryable: true,
      message: expect.stringContaining('whose router.type is "sandbox"'),
    });
    const workloads = thrown(() => providers.workloadsFor(spec({ type: 'sandbox' })));
    expect(workloads).toBeInstanceOf(UnsupportedWorkloadsError);
    expect(workloads).toMatchObject({
      nonRetryable: true,
      message:
        'workloads type "sandbox" is not available: this worker was started without the sandbox providers (createProviders\' sandbox option), so it cannot run a release whose workloads.type is "sandbox"',
    });
  });

  it('takes the sandbox providers and their default address from the environment in sandbox mode', async () => {
    const options = await providerOptionsFromEnv(
      engineEnvSchema.parse({
        CANARY_MODE: 'sandbox',
        CANARY_SANDBOX_URL: 'http://127.0.0.1:38089',
      }),
    );
    const release = spec({ type: 'sandbox' });
    expect(options.sandbox?.router({ type: 'sandbox' }, release).target).toBe(
      'sandbox/router/http://127.0.0.1:38089',
    );
  });

  it('loads the sandbox providers from a module that has the shape the worker expects', async () => {
    // the worker imports sandbox/providers.ts by a computed specifier, so tsc checks it here
    const module: SandboxProvidersModule = await import('../../sandbox/providers.js');
    expect(module.sandboxProviders({ defaultUrl: 'http://127.0.0.1:1' })).toHaveProperty('router');
  });

  it('gives a worker the sandbox providers only in sandbox mode, never by default', async () => {
    // every worker used to get them: a production worker would drive the sandbox router for any spec
    for (const env of [{}, { CANARY_MODE: 'cluster' }, { KUBECONFIG: '/nowhere' }]) {
      const options = await providerOptionsFromEnv(
        engineEnvSchema.parse({ ...env, CANARY_SANDBOX_URL: 'http://127.0.0.1:38089' }),
      );
      expect(options.sandbox).toBeUndefined();
    }
  });
});
