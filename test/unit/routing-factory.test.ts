/**
 * Building routers: the factory's choice per router type (and its refusal to guess for the
 * sandbox), and where the Kubernetes configuration comes from.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKubeClients, loadKubeConfig } from '../../activities/kube/kube-clients.js';
import { KubeConfigError } from '../../activities/kube/errors.js';
import type { SandboxProviders } from '../../activities/providers.js';
import { UnsupportedRouterError } from '../../activities/routers/errors.js';
import { createTrafficRouter } from '../../activities/routers/factory.js';
import { GatewayApiRouter } from '../../activities/routers/gateway-api.js';
import { IstioRouter } from '../../activities/routers/istio.js';
import { NginxRouter } from '../../activities/routers/nginx.js';
import { TraefikRouter } from '../../activities/routers/traefik.js';
import type { TrafficRouter } from '../../activities/routers/types.js';
import { validateReleaseSpec, type ReleaseSpec } from '../../core/spec.js';
import { withStableVersion } from '../harness/release-spec.js';

function kubeconfig(
  dir: string,
  contexts: Record<string, string | undefined>,
  current: string,
): string {
  const file = join(dir, `config-${current}`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443' } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: Object.entries(contexts).map(([name, namespace]) => ({
        name,
        context: { cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) },
      })),
      'current-context': current,
    }),
  );
  return file;
}

/** Sandbox providers whose router is `router`; their workloads are not expected to be asked for. */
function sandboxOnly(router: SandboxProviders['router']): SandboxProviders {
  return {
    router,
    workloads: () => {
      throw new Error('workloads were not expected here');
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'canary-kubeconfig-'));
const kube = createKubeClients({
  kubeconfigPath: kubeconfig(dir, { dev: 'team-a' }, 'dev'),
  env: {},
});

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

describe('createTrafficRouter', () => {
  it.each([
    [
      { type: 'istio', virtualService: 'web', destinations: { kind: 'subsets', host: 'web' } },
      IstioRouter,
      'default/VirtualService/web',
    ],
    [
      { type: 'gateway-api', httpRoute: 'web', stableService: 'web', canaryService: 'web-canary' },
      GatewayApiRouter,
      'default/HTTPRoute/web',
    ],
    [
      { type: 'nginx', ingress: 'web', stableService: 'web', canaryService: 'web-canary' },
      NginxRouter,
      'default/Ingress/web-canary',
    ],
    [
      {
        type: 'traefik',
        traefikService: 'web-w',
        ingressRoute: 'web',
        stableService: 'web',
        canaryService: 'web-canary',
      },
      TraefikRouter,
      'default/TraefikService/web-w',
    ],
  ])('builds the router for %o', (router, type, target) => {
    const built = createTrafficRouter(spec(router), kube);
    expect(built).toBeInstanceOf(type);
    expect(built.target).toBe(target);
  });

  it('refuses a sandbox spec with a non-retryable error when the worker has no sandbox router', () => {
    const error = (() => {
      try {
        createTrafficRouter(spec({ type: 'sandbox' }), kube);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnsupportedRouterError);
    expect((error as UnsupportedRouterError).nonRetryable).toBe(true);
    expect((error as Error).message).toBe(
      'router type "sandbox" is not available: this worker was started without the sandbox providers (createProviders\' sandbox option), so it cannot run a release whose router.type is "sandbox"',
    );
  });

  it('hands a sandbox spec to the sandbox providers the worker passes in', () => {
    const sandboxRouter = { target: 'sandbox http://127.0.0.1:8089' } as TrafficRouter;
    const seen: unknown[] = [];
    const built = createTrafficRouter(spec({ type: 'sandbox' }), kube, {
      sandbox: sandboxOnly((router) => (seen.push(router), sandboxRouter)),
    });
    expect(built).toBe(sandboxRouter);
    // no url in the spec: the sandbox providers' own default applies (sandboxProviders' defaultUrl)
    expect(seen).toEqual([{ type: 'sandbox' }]);
  });

  it('creates the Kubernetes clients only for a router that needs them when given a function', () => {
    let created = 0;
    const lazy = () => {
      created += 1;
      return kube;
    };
    const sandboxRouter = { target: 'sandbox http://127.0.0.1:8089' } as TrafficRouter;
    expect(
      createTrafficRouter(spec({ type: 'sandbox' }), lazy, {
        sandbox: sandboxOnly(() => sandboxRouter),
      }),
    ).toBe(sandboxRouter);
    expect(created).toBe(0);
    expect(
      createTrafficRouter(
        spec({ type: 'nginx', ingress: 'web', stableService: 'web', canaryService: 'web-canary' }),
        lazy,
      ),
    ).toBeInstanceOf(NginxRouter);
    expect(created).toBe(1);
  });
});

describe('Kubernetes configuration', () => {
  it('reads $KUBECONFIG and takes the namespace of its current context', () => {
    const loaded = loadKubeConfig({
      env: { KUBECONFIG: kubeconfig(dir, { dev: 'team-a', prod: undefined }, 'dev') },
    });
    expect(loaded.namespace).toBe('team-a');
    expect(loaded.source).toMatch(/^kubeconfig .*config-dev \(context dev\)$/);
  });

  it('switches to the context named by $CANARY_KUBE_CONTEXT', () => {
    const clients = createKubeClients({
      env: {
        KUBECONFIG: kubeconfig(dir, { dev: 'team-a', prod: 'web' }, 'dev'),
        CANARY_KUBE_CONTEXT: 'prod',
      },
    });
    expect(clients.kubeConfig.getCurrentContext()).toBe('prod');
    expect(clients.defaultNamespace).toBe('web');
  });

  it('names the known contexts when $CANARY_KUBE_CONTEXT is not one of them', () => {
    const file = kubeconfig(dir, { dev: undefined, prod: undefined }, 'dev');
    expect(() =>
      loadKubeConfig({ env: { KUBECONFIG: file, CANARY_KUBE_CONTEXT: 'staging' } }),
    ).toThrow(
      `context "staging" (from CANARY_KUBE_CONTEXT) is not in kubeconfig ${file}; known contexts: dev, prod`,
    );
  });

  it('uses the in-cluster service account when there is no kubeconfig', () => {
    const root = mkdtempSync(join(tmpdir(), 'canary-sa-'));
    const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'token');
    writeFileSync(join(sa, 'ca.crt'), '');
    writeFileSync(join(sa, 'namespace'), 'canary-system\n');
    const clients = createKubeClients({
      env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      inClusterRoot: root,
    });
    expect(clients.source).toBe('in-cluster service account');
    expect(clients.defaultNamespace).toBe('canary-system');
    expect(clients.kubeConfig.getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
  });

  it('fails with advice instead of falling back to localhost when nothing is configured', () => {
    const home = mkdtempSync(join(tmpdir(), 'canary-home-'));
    expect(() => loadKubeConfig({ env: { HOME: home } })).toThrow(KubeConfigError);
    expect(() => loadKubeConfig({ env: { HOME: home } })).toThrow(
      /no Kubernetes configuration found: set KUBECONFIG/,
    );
  });

  it('says which kubeconfig is missing', () => {
    expect(() => loadKubeConfig({ env: { KUBECONFIG: '/nonexistent/config' } })).toThrow(
      'kubeconfig /nonexistent/config does not exist (from KUBECONFIG)',
    );
  });
});
