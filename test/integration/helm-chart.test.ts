/**
 * The Helm chart (deploy/helm/canary-engine) installs what the engine needs, hardened: `helm lint`
 * and `helm template` with several value sets, then every rendered object is applied server-side
 * with dryRun=All to the real kube-apiserver of the test harness, which checks it as an install
 * would (schema, defaults, admission, RBAC escalation). The PrometheusRule CRD is not in a bare API
 * server, so a minimal one of our own is installed first.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findHelm } from '../../scripts/helm.mjs';
import { onPath } from '../../scripts/lib/proc.mjs';
import { engineEnvSchema } from '../../worker/config.js';
import { parseEngineConfig } from '../../worker/engine-config.js';
import { SHUTDOWN_GRACE_SECONDS } from '../../worker/index.js';

const root = join(import.meta.dirname, '..', '..');
const CHART = join(root, 'deploy', 'helm', 'canary-engine');
const helm = findHelm();
const kubeconfig = inject('kubeconfig');
const work = mkdtempSync(join(tmpdir(), 'canary-helm-'));
const suffix = randomBytes(3).toString('hex');
/** Where releases run in the namespaced value set; created for the dry-run. */
const TEAMS = [`team-a-${suffix}`, `team-b-${suffix}`];
const RELEASE_NAMESPACE = `canary-system-${suffix}`;

const PEM = (label: string) =>
  `-----BEGIN ${label}-----\nMIIBfake${randomBytes(16).toString('base64')}\n-----END ${label}-----\n`;

/** The value sets the chart is checked with (each applied over values.yaml). */
const VALUE_SETS: Record<string, Record<string, unknown>> = {
  default: {
    api: { tokens: { value: 'ops=0123456789abcdef0123456789abcdef:deployer+approver+viewer\n' } },
  },
  namespaced: {
    api: { tokens: { existingSecret: 'canary-api-tokens' } },
    rbac: { scope: 'namespaced', namespaces: TEAMS },
    metricsCredentials: {
      values: { CANARY_METRICS_TOKEN: 'secret-token', CANARY_METRICS_PASSWORD: 'hunter2' },
    },
    metricsSources: {
      default: {
        address: 'https://mimir.example/prometheus',
        auth: { type: 'bearer', token: { env: 'CANARY_METRICS_TOKEN' } },
        headers: { 'X-Scope-OrgID': 'platform' },
        tlsCaFile: '/etc/canary/metrics/ca.crt',
      },
    },
    adHocMetricsAddresses: ['http://prometheus\\.team-a\\.svc:9090'],
    observability: {
      logLevel: 'debug',
      otlpEndpoint: 'http://otel-collector.observability:4318',
      otlpHeadersSecret: 'otlp-headers',
      resourceAttributes: 'deployment.environment=prod',
      sampler: 'parentbased_traceidratio',
      samplerArg: '0.25',
    },
    metricsSecretFiles: { existingSecret: 'canary-metrics-files' },
    publicUrl: 'https://canary.example.com',
    notificationSinks: {
      'slack-sre': { type: 'slack', webhookUrl: { file: '/etc/canary/notifications/slack-url' } },
      audit: {
        type: 'webhook',
        url: 'https://audit.example.com/canary',
        secret: { file: '/etc/canary/notifications/audit-key' },
      },
    },
    notificationSecretFiles: { existingSecret: 'canary-notification-files' },
    networkPolicy: {
      enabled: true,
      apiFrom: [
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } } },
      ],
      metricsFrom: [
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      ],
      egress: [
        {
          to: [{ ipBlock: { cidr: '10.0.0.0/8' } }],
          ports: [
            { port: 7233, protocol: 'TCP' },
            { port: 443, protocol: 'TCP' },
            { port: 9090, protocol: 'TCP' },
          ],
        },
      ],
    },
  },
  // no static tokens: CI and people sign in with OIDC only
  oidc: {
    auth: {
      existingSecret: 'canary-oidc',
      oidc: {
        issuers: [
          {
            name: 'github',
            issuer: 'https://token.actions.githubusercontent.com',
            audiences: ['canary-engine'],
            actorClaims: ['repository', 'workflow'],
            rules: [{ claim: 'repository', equals: 'org/app', roles: ['deployer', 'viewer'] }],
          },
          {
            name: 'company',
            issuer: 'https://login.example.com/realms/main',
            audiences: ['canary-dashboard'],
            actorClaims: ['email'],
            rules: [{ claim: 'groups', contains: 'sre', roles: ['approver', 'viewer'] }],
          },
        ],
        login: {
          issuer: 'company',
          clientId: 'canary-dashboard',
          clientSecret: { file: '/etc/canary/auth/client-secret' },
          sessionKey: { file: '/etc/canary/auth/session-key' },
          redirectUrl: 'https://canary.example.com/ui/auth/callback',
        },
      },
    },
  },
  tls: {
    api: { tokens: { value: 'ops=0123456789abcdef0123456789abcdef:viewer\n' } },
    temporal: {
      address: 'canary.a1b2c.tmprl.cloud:7233',
      namespace: 'canary.a1b2c',
      tls: {
        enabled: true,
        cert: PEM('CERTIFICATE'),
        key: PEM('PRIVATE KEY'),
        ca: PEM('CERTIFICATE'),
        serverName: 'canary.a1b2c.tmprl.cloud',
      },
      apiKey: { value: 'temporal-cloud-key' },
    },
    networkPolicy: { enabled: true },
    monitoring: {
      grafanaDashboard: { enabled: true },
      prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
    },
  },
};

interface Rendered extends KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- rendered manifests are checked field by field below
  [key: string]: unknown;
}

function runHelm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(work, 'cache'),
    HELM_CONFIG_HOME: join(work, 'config'),
    HELM_DATA_HOME: join(work, 'data'),
  };
  const result = spawnSync(helm as string, args, { env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function valuesFile(name: string, values: Record<string, unknown>): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(values));
  return file;
}

function render(name: string): Rendered[] {
  const result = runHelm([
    'template',
    'canary',
    CHART,
    '-n',
    RELEASE_NAMESPACE,
    '-f',
    valuesFile(name, VALUE_SETS[name]!),
  ]);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as Rendered | null)
    .filter((o): o is Rendered => o !== null);
}

const byKind = (objects: Rendered[], kind: string) => objects.filter((o) => o.kind === kind);
const find = (objects: Rendered[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(
      `no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  return found;
};
const containers = (deployment: Rendered): any[] => deployment.spec.template.spec.containers; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The ClusterRole rules of deploy/rbac.yaml, the reference the chart must grant and no more. */
function referenceRules(): unknown {
  const docs = parseAllDocuments(readFileSync(join(root, 'deploy', 'rbac.yaml'), 'utf8')).map(
    (d) => d.toJS() as Rendered,
  );
  return docs.find((d) => d.kind === 'ClusterRole')!.rules;
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!helm)('the Helm chart, rendered', () => {
  it.each(Object.keys(VALUE_SETS))('passes helm lint --strict with the %s value set', (name) => {
    const result = runHelm([
      'lint',
      '--strict',
      CHART,
      '-n',
      RELEASE_NAMESPACE,
      '-f',
      valuesFile(`lint-${name}`, VALUE_SETS[name]!),
    ]);
    expect(result.stdout + result.stderr).toContain('0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  it('renders worker and API Deployments, the API Service, service accounts, cluster RBAC and disruption budgets by default', () => {
    const objects = render('default');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/canary-canary-engine',
      'ClusterRoleBinding/canary-canary-engine',
      'Deployment/canary-canary-engine-api',
      'Deployment/canary-canary-engine-worker',
      'PodDisruptionBudget/canary-canary-engine-api',
      'PodDisruptionBudget/canary-canary-engine-worker',
      'Secret/canary-canary-engine-api-tokens',
      'Service/canary-canary-engine-api',
      'Service/canary-canary-engine-worker-metrics',
      'ServiceAccount/canary-canary-engine-api',
      'ServiceAccount/canary-canary-engine-worker',
    ]);
    expect(find(objects, 'ClusterRole', 'canary-canary-engine').rules).toEqual(referenceRules());
    expect(find(objects, 'ClusterRoleBinding', 'canary-canary-engine').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'canary-canary-engine-worker', namespace: RELEASE_NAMESPACE },
    ]);
  });

  it.each(Object.keys(VALUE_SETS))(
    'hardens every pod of the %s value set: non-root, read-only root, no capabilities, RuntimeDefault seccomp, limits',
    (name) => {
      for (const deployment of byKind(render(name), 'Deployment')) {
        const pod = deployment.spec.template.spec;
        expect(pod.securityContext, deployment.metadata.name).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        for (const container of containers(deployment)) {
          expect(container.securityContext, container.name).toEqual({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            privileged: false,
            capabilities: { drop: ['ALL'] },
          });
          expect(container.resources.requests, container.name).toMatchObject({
            cpu: expect.any(String),
            memory: expect.any(String),
          });
          expect(container.resources.limits?.memory, container.name).toEqual(expect.any(String));
          expect(container.volumeMounts, container.name).toContainEqual({
            name: 'tmp',
            mountPath: '/tmp',
          });
        }
      }
    },
  );

  it('probes the worker on its health endpoints and the API on its own, and gives the worker time to drain', () => {
    const objects = render('default');
    const [worker] = containers(find(objects, 'Deployment', 'canary-canary-engine-worker'));
    const workerPod = find(objects, 'Deployment', 'canary-canary-engine-worker').spec.template.spec;
    expect(worker.ports).toEqual([{ name: 'health', containerPort: 9464, protocol: 'TCP' }]);
    expect(worker.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(worker.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(worker.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(workerPod.terminationGracePeriodSeconds).toBe(SHUTDOWN_GRACE_SECONDS + 20);
    const [api] = containers(find(objects, 'Deployment', 'canary-canary-engine-api'));
    expect(api.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(api.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    // only the worker talks to Kubernetes
    expect(
      find(objects, 'Deployment', 'canary-canary-engine-api').spec.template.spec
        .automountServiceAccountToken,
    ).toBe(false);
    expect(
      find(objects, 'ServiceAccount', 'canary-canary-engine-api').automountServiceAccountToken,
    ).toBe(false);
  });

  it.each(Object.keys(VALUE_SETS))(
    'sets only environment variables the engine reads in the %s value set',
    (name) => {
      const known = new Set(Object.keys(engineEnvSchema.shape));
      for (const deployment of byKind(render(name), 'Deployment')) {
        const env = Object.fromEntries(
          containers(deployment)[0].env.map((e: { name: string; value?: string }) => [
            e.name,
            e.value,
          ]),
        );
        for (const key of Object.keys(env))
          expect(known.has(key), `${deployment.metadata.name}: ${key}`).toBe(true);
        const plain = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
        const parsed = engineEnvSchema.safeParse(plain);
        expect(parsed.success, `${deployment.metadata.name}: ${parsed.error?.message}`).toBe(true);
      }
    },
  );

  it('installs namespaced RBAC in each listed namespace and nothing cluster-wide, and passes metrics credentials as CANARY_METRICS_* variables', () => {
    const objects = render('namespaced');
    expect(byKind(objects, 'ClusterRole')).toEqual([]);
    expect(byKind(objects, 'ClusterRoleBinding')).toEqual([]);
    expect(byKind(objects, 'Role').map((r) => r.metadata.namespace)).toEqual(TEAMS);
    for (const role of byKind(objects, 'Role')) expect(role.rules).toEqual(referenceRules());
    for (const binding of byKind(objects, 'RoleBinding')) {
      expect(binding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'canary-canary-engine',
      });
      expect(binding.subjects).toEqual([
        {
          kind: 'ServiceAccount',
          name: 'canary-canary-engine-worker',
          namespace: RELEASE_NAMESPACE,
        },
      ]);
    }
    const credentials = find(objects, 'Secret', 'canary-canary-engine-metrics-credentials');
    expect(Object.keys(credentials.stringData as object).sort()).toEqual([
      'CANARY_METRICS_PASSWORD',
      'CANARY_METRICS_TOKEN',
    ]);
    expect(
      containers(find(objects, 'Deployment', 'canary-canary-engine-worker'))[0].envFrom,
    ).toEqual([{ secretRef: { name: 'canary-canary-engine-metrics-credentials' } }]);
    // the API reads the existing Secret's tokens; the chart makes none
    expect(
      objects.some((o) => o.kind === 'Secret' && o.metadata.name.endsWith('-api-tokens')),
    ).toBe(false);
    expect(
      byKind(objects, 'NetworkPolicy')
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['canary-canary-engine-api', 'canary-canary-engine-worker']);
  });

  it('renders metricsSources and notificationSinks into the engine config that the worker and the API both read, and mounts their secret files into the worker', () => {
    const objects = render('namespaced');
    const configMap = find(objects, 'ConfigMap', 'canary-canary-engine-engine-config');
    const config = parseEngineConfig(
      JSON.parse((configMap.data as { 'engine.json': string })['engine.json']),
    );
    expect(config.metricsSources.default?.address).toBe('https://mimir.example/prometheus');
    expect(config.adHocMetricsAddresses).toEqual(['http://prometheus\\.team-a\\.svc:9090']);
    for (const name of ['canary-canary-engine-worker', 'canary-canary-engine-api']) {
      const container = containers(find(objects, 'Deployment', name))[0];
      expect(container.env).toContainEqual({
        name: 'CANARY_ENGINE_CONFIG',
        value: '/etc/canary/engine/engine.json',
      });
      expect(container.volumeMounts).toContainEqual({
        name: 'engine-config',
        mountPath: '/etc/canary/engine',
        readOnly: true,
      });
    }
    expect(
      containers(find(objects, 'Deployment', 'canary-canary-engine-worker'))[0].volumeMounts,
    ).toContainEqual({
      name: 'metrics-secret-files',
      mountPath: '/etc/canary/metrics',
      readOnly: true,
    });
    // notification sinks, their secret files and the links' public URL reach the worker
    expect(Object.keys(config.notificationSinks).sort()).toEqual(['audit', 'slack-sre']);
    const [worker] = containers(find(objects, 'Deployment', 'canary-canary-engine-worker'));
    expect(worker.env).toContainEqual({
      name: 'CANARY_PUBLIC_URL',
      value: 'https://canary.example.com',
    });
    expect(worker.volumeMounts).toContainEqual({
      name: 'notification-secret-files',
      mountPath: '/etc/canary/notifications',
      readOnly: true,
    });
    // without sources the chart renders no config: the worker's only source is prometheusUrl
    expect(byKind(render('default'), 'ConfigMap')).toEqual([]);
  });

  it('mounts the Temporal TLS files and the API key for both processes, under the CANARY_TEMPORAL_* names', () => {
    const objects = render('tls');
    for (const name of ['canary-canary-engine-worker', 'canary-canary-engine-api']) {
      const [container] = containers(find(objects, 'Deployment', name));
      const env = Object.fromEntries(container.env.map((e: { name: string }) => [e.name, e]));
      expect(env.CANARY_TEMPORAL_TLS_CERT.value).toBe('/etc/canary/temporal-tls/tls.crt');
      expect(env.CANARY_TEMPORAL_TLS_KEY.value).toBe('/etc/canary/temporal-tls/tls.key');
      expect(env.CANARY_TEMPORAL_TLS_CA.value).toBe('/etc/canary/temporal-tls/ca.crt');
      expect(env.CANARY_TEMPORAL_TLS_SERVER_NAME.value).toBe('canary.a1b2c.tmprl.cloud');
      expect(env.CANARY_TEMPORAL_API_KEY.valueFrom).toEqual({
        secretKeyRef: { name: 'canary-canary-engine-temporal-api-key', key: 'api-key' },
      });
      expect(container.volumeMounts).toContainEqual({
        name: 'temporal-tls',
        mountPath: '/etc/canary/temporal-tls',
        readOnly: true,
      });
    }
    expect(
      Object.keys(
        find(objects, 'Secret', 'canary-canary-engine-temporal-tls').stringData as object,
      ).sort(),
    ).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const dashboard = find(objects, 'ConfigMap', 'canary-canary-engine-dashboard');
    expect(dashboard.metadata.labels?.grafana_dashboard).toBe('1');
    const panels = JSON.parse((dashboard.data as Record<string, string>)['canary-engine.json']!)
      .panels as { targets: { expr: string }[] }[];
    const exprs = panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    for (const family of [
      'canary_releases',
      'canary_decisions_total',
      'canary_kube_write_duration_seconds_bucket',
      'canary_kube_write_conflicts_total',
      'canary_rollbacks_total',
      'canary_rollback_duration_seconds_bucket',
      'canary_activity_failures_total',
    ]) {
      expect(exprs).toContain(family);
    }
    const rule = find(objects, 'PrometheusRule', 'canary-canary-engine');
    expect(rule.spec.groups[0].rules.map((r: { alert: string }) => r.alert)).toEqual([
      'CanaryReleaseFailed',
      'CanaryRollbackRetrying',
      'CanaryRollbackStuck',
      'CanaryReleaseStuck',
    ]);
  });

  it.skipIf(!onPath('promtool'))('ships alert rules that promtool accepts', () => {
    const rule = find(render('tls'), 'PrometheusRule', 'canary-canary-engine');
    const file = join(work, 'rules.yaml');
    writeFileSync(file, JSON.stringify(rule.spec));
    const result = spawnSync(onPath('promtool') as string, ['check', 'rules', file], {
      encoding: 'utf8',
    });
    expect(result.stdout + result.stderr).toContain('SUCCESS: 4 rules found');
    expect(result.status).toBe(0);
  });

  it('renders auth.oidc into the engine config the API reads, mounts its secret and needs no static tokens', () => {
    const objects = render('oidc');
    const configMap = find(objects, 'ConfigMap', 'canary-canary-engine-engine-config');
    const config = parseEngineConfig(
      JSON.parse((configMap.data as { 'engine.json': string })['engine.json']),
    );
    expect(config.auth.oidc?.issuers.map((i) => i.name)).toEqual(['github', 'company']);
    expect(config.auth.oidc?.login?.redirectUrl).toBe(
      'https://canary.example.com/ui/auth/callback',
    );
    const [api] = containers(find(objects, 'Deployment', 'canary-canary-engine-api'));
    expect(api.volumeMounts).toContainEqual({
      name: 'auth-secret',
      mountPath: '/etc/canary/auth',
      readOnly: true,
    });
    expect(api.env.map((e: { name: string }) => e.name)).not.toContain('CANARY_API_TOKENS_FILE');
    expect(
      objects.some((o) => o.kind === 'Secret' && o.metadata.name.endsWith('-api-tokens')),
    ).toBe(false);
  });

  it.each([
    [
      { metricsCredentials: { values: { AWS_SECRET_ACCESS_KEY: 'x' } } },
      'metricsCredentials.values',
    ],
    [{ rbac: { scope: 'namespaced', namespaces: [] } }, 'rbac.namespaces'],
    [{ temporal: { tls: { enabled: true } } }, 'temporal.tls'],
    [{ api: { tokens: { value: '' } } }, 'api.tokens'],
    [{ worker: { terminationGracePeriodSeconds: 5 } }, 'worker.terminationGracePeriodSeconds'],
  ])('refuses %j with a message naming %s', (values, field) => {
    const base = field === 'api.tokens' ? {} : VALUE_SETS.default!;
    const result = runHelm([
      'template',
      'canary',
      CHART,
      '-f',
      valuesFile('base', base),
      '-f',
      valuesFile('bad', values),
    ]);
    expect(result.status).not.toBe(0);
    // the schema names a field as a JSON pointer (/a/b), the templates as a dotted path
    const [first, ...rest] = field.split('.');
    expect(result.stderr).toMatch(new RegExp(`${first}[./]${rest.join('[./]')}`));
  });
});

describe.skipIf(!helm || !kubeconfig)(
  'the Helm chart, applied server-side with dryRun=All to a real kube-apiserver',
  () => {
    let objects: KubernetesObjectApi;

    beforeAll(async () => {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig as string);
      objects = KubernetesObjectApi.makeApiClient(kc);
      for (const name of [RELEASE_NAMESPACE, ...TEAMS])
        await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      // the namespaced value set names an existing token Secret
      await objects.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'canary-api-tokens', namespace: RELEASE_NAMESPACE },
        stringData: { tokens: 'ops=x:viewer\n' },
      } as KubernetesObject);
      await installPrometheusRuleCrd(kc);
    });

    it.each(Object.keys(VALUE_SETS))('accepts every object of the %s value set', async (name) => {
      const rendered = render(name);
      expect(rendered.length).toBeGreaterThan(5);
      for (const object of rendered) {
        const applied = await objects
          .patch(
            object,
            undefined,
            'All',
            'canary-engine-chart-test',
            true,
            PatchStrategy.ServerSideApply,
          )
          .catch((error: unknown) => {
            throw new Error(
              `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name} was refused: ${(error as { body?: string }).body ?? error}`,
              { cause: error },
            );
          });
        expect(applied.kind).toBe(object.kind);
        // defaulted by the server: the object was really admitted, not merely parsed
        expect(
          (applied as KubernetesObject).metadata?.uid,
          `${object.kind}/${object.metadata.name}`,
        ).toEqual(expect.any(String));
      }
    });

    it('is a real check: the same dry-run refuses a worker Deployment with an impossible port (negative control)', async () => {
      const worker = structuredClone(
        find(render('default'), 'Deployment', 'canary-canary-engine-worker'),
      );
      containers(worker)[0].ports[0].containerPort = 70000;
      const refused = await objects
        .patch(
          worker,
          undefined,
          'All',
          'canary-engine-chart-test',
          true,
          PatchStrategy.ServerSideApply,
        )
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect((refused as { code?: number }).code).toBe(422);
      expect(String((refused as { body?: unknown }).body)).toContain('containerPort');
    });
  },
);

/** A minimal PrometheusRule CRD (the Prometheus Operator's group, version and the fields we set). */
async function installPrometheusRuleCrd(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const name = 'prometheusrules.monitoring.coreos.com';
  const str = { type: 'string' };
  const stringMap = { type: 'object', additionalProperties: str };
  const rule = {
    type: 'object',
    required: ['expr'],
    properties: {
      alert: str,
      record: str,
      expr: { 'x-kubernetes-int-or-string': true },
      for: str,
      labels: stringMap,
      annotations: stringMap,
    },
  };
  const body: V1CustomResourceDefinition = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name },
    spec: {
      group: 'monitoring.coreos.com',
      scope: 'Namespaced',
      names: {
        kind: 'PrometheusRule',
        listKind: 'PrometheusRuleList',
        plural: 'prometheusrules',
        singular: 'prometheusrule',
      },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['groups'],
                  properties: {
                    groups: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['name', 'rules'],
                        properties: {
                          name: str,
                          interval: str,
                          rules: { type: 'array', items: rule },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
  try {
    await api.createCustomResourceDefinition({ body });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
  for (let i = 0; i < 100; i++) {
    const crd = await api.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`CRD ${name} did not become Established`);
}
