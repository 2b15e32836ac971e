/**
 * The exact PromQL each preset renders, custom templates, and the rules that keep a spec from
 * injecting PromQL.
 */
import { describe, expect, it } from 'vitest';
import { metricsSpecSchema, type MetricsSpec } from '../../core/metrics/config.js';
import {
  PromqlRenderError,
  promDuration,
  renderTemplate,
  selector,
  templateProblems,
} from '../../core/metrics/promql.js';
import { renderArmQueries } from '../../core/metrics/render.js';
import { validateReleaseSpec } from '../../core/spec.js';

const target = { namespace: 'shop', service: 'checkout', stableVersion: 'v1', canaryVersion: 'v2' };
const spec = (metrics: Record<string, unknown>): MetricsSpec => metricsSpecSchema.parse(metrics);

describe('istio preset', () => {
  it('renders the exact queries for both arms, told apart by destination_version', () => {
    const sel = (v: string) =>
      `reporter="destination",destination_workload_namespace="shop",destination_service_name="checkout",destination_version="${v}"`;
    for (const [arm, version] of [
      ['baseline', 'v1'],
      ['canary', 'v2'],
    ] as const) {
      expect(
        renderArmQueries(spec({ preset: 'istio', latencyQuantile: 0.99 }), target, arm, 60_000),
      ).toEqual({
        requests: `istio_requests_total{${sel(version)}}`,
        errors: `istio_requests_total{${sel(version)},response_code=~"5.."}`,
        latencySum: `istio_request_duration_milliseconds_sum{${sel(version)}}`,
        latencyCount: `istio_request_duration_milliseconds_count{${sel(version)}}`,
        latencyQuantile: `histogram_quantile(0.99, sum by (le) (increase(istio_request_duration_milliseconds_bucket{${sel(version)}}[1m])))`,
      });
    }
  });

  it('uses the configured reporter and labels, and leaves the quantile out unless asked for', () => {
    const queries = renderArmQueries(
      spec({
        istio: {
          reporter: 'source',
          serviceLabel: 'destination_workload',
          versionLabel: 'destination_canonical_revision',
        },
      }),
      target,
      'canary',
      1000,
    );
    expect(queries).toEqual({
      requests:
        'istio_requests_total{reporter="source",destination_workload_namespace="shop",destination_workload="checkout",destination_canonical_revision="v2"}',
      errors:
        'istio_requests_total{reporter="source",destination_workload_namespace="shop",destination_workload="checkout",destination_canonical_revision="v2",response_code=~"5.."}',
      latencySum:
        'istio_request_duration_milliseconds_sum{reporter="source",destination_workload_namespace="shop",destination_workload="checkout",destination_canonical_revision="v2"}',
      latencyCount:
        'istio_request_duration_milliseconds_count{reporter="source",destination_workload_namespace="shop",destination_workload="checkout",destination_canonical_revision="v2"}',
    });
  });
});

describe('prom-client preset', () => {
  it('renders the exact queries with the conventional names, converting seconds to milliseconds', () => {
    expect(
      renderArmQueries(
        spec({ preset: 'prom-client', latencyQuantile: 0.95 }),
        target,
        'baseline',
        30_000,
      ),
    ).toEqual({
      requests: 'http_requests_total{namespace="shop",service="checkout",version="v1"}',
      errors: 'http_requests_total{namespace="shop",service="checkout",version="v1",code=~"5.."}',
      latencySum:
        'http_request_duration_seconds_sum{namespace="shop",service="checkout",version="v1"} * 1000',
      latencyCount:
        'http_request_duration_seconds_count{namespace="shop",service="checkout",version="v1"}',
      latencyQuantile:
        'histogram_quantile(0.95, sum by (le) (increase(http_request_duration_seconds_bucket{namespace="shop",service="checkout",version="v1"}[30s]))) * 1000',
    });
  });

  it('uses configured metric and label names, and no conversion for a millisecond histogram', () => {
    const promClient = {
      requestsMetric: 'api_requests_total',
      durationMetric: 'api_latency_ms',
      durationUnit: 'milliseconds',
      statusLabel: 'status_code',
      namespaceLabel: 'kubernetes_namespace',
      serviceLabel: 'app',
      versionLabel: 'app_version',
    };
    expect(
      renderArmQueries(spec({ preset: 'prom-client', promClient }), target, 'canary', 60_000),
    ).toEqual({
      requests: 'api_requests_total{kubernetes_namespace="shop",app="checkout",app_version="v2"}',
      errors:
        'api_requests_total{kubernetes_namespace="shop",app="checkout",app_version="v2",status_code=~"5.."}',
      latencySum: 'api_latency_ms_sum{kubernetes_namespace="shop",app="checkout",app_version="v2"}',
      latencyCount:
        'api_latency_ms_count{kubernetes_namespace="shop",app="checkout",app_version="v2"}',
    });
  });
});

describe('nginx preset', () => {
  it('tells the arms apart by the canary label on the main Ingress’s requests', () => {
    const nginx = spec({ preset: 'nginx', latencyQuantile: 0.99 });
    expect(renderArmQueries(nginx, target, 'baseline', 60_000)).toEqual({
      requests: 'nginx_ingress_controller_requests{namespace="shop",ingress="checkout",canary=""}',
      errors:
        'nginx_ingress_controller_requests{namespace="shop",ingress="checkout",canary="",status=~"5.."}',
      latencySum:
        'nginx_ingress_controller_request_duration_seconds_sum{namespace="shop",ingress="checkout",canary=""} * 1000',
      latencyCount:
        'nginx_ingress_controller_request_duration_seconds_count{namespace="shop",ingress="checkout",canary=""}',
      latencyQuantile:
        'histogram_quantile(0.99, sum by (le) (increase(nginx_ingress_controller_request_duration_seconds_bucket{namespace="shop",ingress="checkout",canary=""}[1m]))) * 1000',
    });
    expect(renderArmQueries(nginx, target, 'canary', 60_000)).toEqual({
      requests: 'nginx_ingress_controller_requests{namespace="shop",ingress="checkout",canary!=""}',
      errors:
        'nginx_ingress_controller_requests{namespace="shop",ingress="checkout",canary!="",status=~"5.."}',
      latencySum:
        'nginx_ingress_controller_request_duration_seconds_sum{namespace="shop",ingress="checkout",canary!=""} * 1000',
      latencyCount:
        'nginx_ingress_controller_request_duration_seconds_count{namespace="shop",ingress="checkout",canary!=""}',
      latencyQuantile:
        'histogram_quantile(0.99, sum by (le) (increase(nginx_ingress_controller_request_duration_seconds_bucket{namespace="shop",ingress="checkout",canary!=""}[1m]))) * 1000',
    });
  });

  it('selects the canary by its own Ingress name when canaryIngress is set', () => {
    const nginx = spec({
      preset: 'nginx',
      nginx: { ingress: 'checkout-public', canaryIngress: 'checkout-public-canary' },
    });
    expect(renderArmQueries(nginx, target, 'baseline', 60_000).requests).toBe(
      'nginx_ingress_controller_requests{namespace="shop",ingress="checkout-public",canary=""}',
    );
    expect(renderArmQueries(nginx, target, 'canary', 60_000).errors).toBe(
      'nginx_ingress_controller_requests{namespace="shop",ingress="checkout-public-canary",status=~"5.."}',
    );
  });
});

describe('custom templates', () => {
  const queries = {
    requests:
      'sum(increase(app_requests_total{ns="{{ namespace }}",app="{{service}}",track="{{arm}}"}[{{bucket}}]))',
    errors:
      'sum(increase(app_requests_total{ns="{{namespace}}",app="{{service}}",track="{{arm}}",outcome="error"}[{{bucket}}]))',
    latencySum: 'sum(increase(app_latency_ms_sum{app="{{service}}",v="{{version}}"}[{{bucket}}]))',
    latencyCount:
      'sum(increase(app_latency_ms_count{app="{{service}}",v="{{version}}"}[{{bucket}}]))',
    latencyQuantile:
      'histogram_quantile({{quantile}}, sum by (le) (rate(app_latency_ms_bucket{v="{{version}}"}[{{bucket}}])))',
  };

  it('substitutes every variable, with or without spaces inside the braces', () => {
    expect(
      renderArmQueries(
        spec({ preset: 'custom', queries, latencyQuantile: 0.5 }),
        target,
        'canary',
        90_000,
      ),
    ).toEqual({
      requests: 'sum(increase(app_requests_total{ns="shop",app="checkout",track="canary"}[90s]))',
      errors:
        'sum(increase(app_requests_total{ns="shop",app="checkout",track="canary",outcome="error"}[90s]))',
      latencySum: 'sum(increase(app_latency_ms_sum{app="checkout",v="v2"}[90s]))',
      latencyCount: 'sum(increase(app_latency_ms_count{app="checkout",v="v2"}[90s]))',
      latencyQuantile:
        'histogram_quantile(0.5, sum by (le) (rate(app_latency_ms_bucket{v="v2"}[90s])))',
    });
  });

  it('override single queries of a preset', () => {
    const istio = spec({
      queries: {
        errors:
          'sum(increase(istio_requests_total{destination_version="{{version}}",response_code=~"5..|429"}[{{bucket}}]))',
      },
    });
    const rendered = renderArmQueries(istio, target, 'baseline', 60_000);
    expect(rendered.errors).toBe(
      'sum(increase(istio_requests_total{destination_version="v1",response_code=~"5..|429"}[1m]))',
    );
    expect(rendered.requests).toContain('istio_requests_total{reporter="destination"');
  });
});

describe('template validation', () => {
  it('accepts a template that uses known variables, {{bucket}} and the arm', () => {
    expect(templateProblems('requests', 'sum(increase(x{v="{{version}}"}[{{bucket}}]))')).toEqual(
      [],
    );
    expect(
      templateProblems(
        'latencyQuantile',
        'histogram_quantile({{quantile}}, sum by (le) (increase(x_bucket{a="{{arm}}"}[{{bucket}}])))',
      ),
    ).toEqual([]);
  });

  it('rejects an empty template, naming it', () => {
    expect(templateProblems('errors', '  \n ')).toEqual(["query template 'errors' is empty"]);
  });

  it('rejects unknown variables, unmatched braces, {{quantile}} outside the quantile template', () => {
    expect(
      templateProblems('errors', 'sum(increase(x{v="{{version}}",t="{{team}}"}[{{bucket}}]))'),
    ).toEqual([
      "query template 'errors' uses unknown variable {{team}}; known: {{namespace}}, {{service}}, {{version}}, {{bucket}}, {{arm}}, {{quantile}}",
    ]);
    expect(templateProblems('requests', 'sum(increase(x{v="{{version"}[{{bucket}}]))')).toEqual([
      'query template \'requests\' has an unmatched "{{" or "}}"',
      "query template 'requests' must use {{version}} or {{arm}}, or the canary and baseline queries would be the same",
    ]);
    expect(
      templateProblems('requests', 'sum(increase(x{v="{{version}}"}[{{bucket}}])) * {{quantile}}'),
    ).toEqual([
      "query template 'requests' uses {{quantile}}, which only the latencyQuantile template may use",
    ]);
  });

  it('rejects a template without {{bucket}} (buckets would overlap or leave gaps) or without the arm (both arms would match)', () => {
    expect(templateProblems('requests', 'sum(increase(x{v="{{version}}"}[5m]))')).toEqual([
      `query template 'requests' must be a counter's selector (e.g. x_total{version="{{version}}"}, read exactly at bucket boundaries) or use {{bucket}} as its range`,
    ]);
    expect(
      templateProblems('latencyQuantile', 'histogram_quantile(0.9, x{v="{{version}}"})'),
    ).toEqual([
      "query template 'latencyQuantile' must use {{bucket}} as its range, e.g. increase(x_bucket[{{bucket}}])",
    ]);
    expect(templateProblems('requests', 'sum(increase(x{app="{{service}}"}[{{bucket}}]))')).toEqual(
      [
        "query template 'requests' must use {{version}} or {{arm}}, or the canary and baseline queries would be the same",
      ],
    );
  });

  it('accepts a counter’s plain selector as a count template: it needs no {{bucket}}', () => {
    expect(templateProblems('requests', 'x_total{v="{{version}}"}')).toEqual([]);
    expect(templateProblems('latencySum', 'lat_seconds_sum{v="{{version}}"} * 1000')).toEqual([]);
  });

  it('reports template problems through validateReleaseSpec with their field paths', () => {
    const result = validateReleaseSpec({
      service: 'checkout',
      stableVersion: 'v1',
      canaryVersion: 'v2',
      analysis: {
        metrics: {
          preset: 'custom',
          queries: {
            requests: 'sum(increase(x{v="{{version}}"}[{{bucket}}]))',
            errors: 'sum(increase(x{v="{{version}}",team="{{team}}"}[{{bucket}}]))',
            latencySum: '',
          },
        },
      },
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      {
        path: 'analysis.metrics.queries.errors',
        message: expect.stringContaining('unknown variable {{team}}'),
      },
      {
        path: 'analysis.metrics.queries.latencySum',
        message: "query template 'latencySum' is empty",
      },
      {
        path: 'analysis.metrics.queries.latencyCount',
        message: 'query template \'latencyCount\' is required with preset "custom"',
      },
    ]);
  });

  it('rejects settings for another preset, credentials in the address or in headers', () => {
    const problems = metricsSpecSchema
      .safeParse({
        preset: 'istio',
        nginx: { ingress: 'web' },
        address: 'https://admin:hunter2@prom.example/prom',
        headers: { Authorization: 'Bearer x', 'X-Scope-OrgID': 'team-a' },
      })
      .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(problems).toEqual([
      'nginx: only used with preset "nginx" (preset is "istio")',
      'address: must not contain credentials (they would be stored in workflow history, and an ad-hoc address is never sent any)',
      'headers.Authorization: must not carry credentials (they would be stored in workflow history); credentials belong to a metrics source the operator configures',
    ]);
  });

  it('keeps the default metrics spec valid and free of preset settings', () => {
    // no address: the worker's default (CANARY_PROMETHEUS_URL) applies when the provider is built
    expect(metricsSpecSchema.parse({})).toEqual({
      provider: 'prometheus',
      preset: 'istio',
      timeout: '10s',
    });
    expect(
      validateReleaseSpec({ service: 'checkout', stableVersion: 'v1', canaryVersion: 'v2' }).ok,
    ).toBe(true);
  });

  it('never lets a spec choose credentials: auth is refused, naming the field and the metrics source to use', () => {
    // a spec used to name which CANARY_METRICS_* secret the worker sends, to an address it chose
    for (const auth of [
      { type: 'bearer', tokenEnv: 'CANARY_METRICS_TOKEN' },
      { type: 'basic', usernameEnv: 'CANARY_METRICS_USER', passwordEnv: 'CANARY_METRICS_PASSWORD' },
      { type: 'bearer', token: 'eyJhbGciOi' },
      { type: 'bearer', tokenEnv: 'not a name; rm -rf' },
      { type: 'bearer', tokenEnv: 'CANARY_API_TOKENS' },
      { type: 'basic', usernameEnv: 'AWS_ACCESS_KEY_ID', passwordEnv: 'AWS_SECRET_ACCESS_KEY' },
    ]) {
      expect(metricsSpecSchema.safeParse({ auth }).success).toBe(false);
      const result = validateReleaseSpec({
        service: 'checkout',
        stableVersion: 'v1',
        canaryVersion: 'v2',
        analysis: { metrics: { auth } },
      });
      expect(!result.ok && result.problems).toEqual([
        {
          path: 'analysis.metrics.auth',
          message:
            'is not a known field: credentials belong to a metrics source the operator configures; name it in analysis.metrics.source',
        },
      ]);
    }
  });
});

describe('injection', () => {
  const injected = 'v2"} or vector(1) or up{x="';

  it('rejects a release whose version would close the matcher and add PromQL', () => {
    const result = validateReleaseSpec({
      service: 'checkout',
      stableVersion: 'v1',
      canaryVersion: injected,
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual(['canaryVersion']);
  });

  it('refuses to render a value with quotes, braces, backslashes or newlines even when validation was skipped', () => {
    const istio = spec({});
    for (const version of [injected, 'v2\\', 'v2\nup', 'v{2}', 'v 2']) {
      expect(() =>
        renderArmQueries(istio, { ...target, canaryVersion: version }, 'canary', 60_000),
      ).toThrow(PromqlRenderError);
    }
    expect(() =>
      renderArmQueries(istio, { ...target, namespace: 'shop"}' }, 'baseline', 60_000),
    ).toThrow(/namespace .* is not a DNS-1123 label/);
    expect(() =>
      renderArmQueries(istio, { ...target, service: 'Checkout' }, 'baseline', 60_000),
    ).toThrow(/service .* is not a DNS-1123 label/);
  });

  it('rejects label and metric names that are not Prometheus names, in the spec and in the renderer', () => {
    expect(
      metricsSpecSchema.safeParse({
        preset: 'prom-client',
        promClient: { versionLabel: 'version"} or up{a' },
      }).success,
    ).toBe(false);
    expect(
      metricsSpecSchema.safeParse({
        preset: 'prom-client',
        promClient: { requestsMetric: 'http requests' },
      }).success,
    ).toBe(false);
    expect(() => selector('up', [['a"}', '=', 'x']])).toThrow(PromqlRenderError);
    expect(() => selector('up or vector(1)', [])).toThrow(PromqlRenderError);
    expect(() => selector('up', [['a', '=', 'x"}']])).toThrow(PromqlRenderError);
  });

  it('checks values even for a template that only uses some of them', () => {
    expect(() =>
      renderTemplate('x{v="{{version}}"}', {
        namespace: 'ns',
        service: 'svc',
        version: 'ok',
        bucketMs: 60_000,
        arm: 'canary',
        quantile: 2,
      }),
    ).toThrow(/quantile 2/);
  });

  it('renders exactly the namespaces, services and versions that the release spec accepts', () => {
    const istio = spec({});
    const renders = (values: Partial<typeof target>): boolean => {
      try {
        renderArmQueries(istio, { ...target, ...values }, 'canary', 60_000);
        return true;
      } catch (error) {
        if (error instanceof PromqlRenderError) return false;
        throw error;
      }
    };
    // Sandbox workloads: the default Kubernetes ones derive a longer Deployment name from the service.
    const validates = (values: Partial<typeof target>): boolean =>
      validateReleaseSpec({
        ...target,
        router: { type: 'sandbox' },
        workloads: { type: 'sandbox' },
        ...values,
      }).ok;
    const names = [
      'shop',
      'a',
      'a-b',
      'a1',
      'x'.repeat(63),
      'x'.repeat(64),
      'Shop',
      '-a',
      'a-',
      'a_b',
      'a.b',
      '',
    ];
    const versions = [
      'v3',
      'V3',
      'v3.1_rc-2',
      '3',
      'x'.repeat(63),
      'x'.repeat(64),
      '-v3',
      'v3.',
      '_v3',
      'v 3',
      'v3"',
      '',
    ];
    for (const namespace of names)
      expect({ namespace, renders: renders({ namespace }) }).toEqual({
        namespace,
        renders: validates({ namespace }),
      });
    for (const service of names)
      expect({ service, renders: renders({ service }) }).toEqual({
        service,
        renders: validates({ service }),
      });
    for (const canaryVersion of versions) {
      expect({ canaryVersion, renders: renders({ canaryVersion }) }).toEqual({
        canaryVersion,
        renders: validates({ canaryVersion }),
      });
    }
    // Both outcomes occur, so the comparison above cannot pass by everything failing alike.
    expect(names.map((namespace) => renders({ namespace }))).toContain(true);
    expect(names.map((namespace) => renders({ namespace }))).toContain(false);
    expect(versions.map((canaryVersion) => renders({ canaryVersion }))).toContain(true);
    expect(versions.map((canaryVersion) => renders({ canaryVersion }))).toContain(false);
  });
});

describe('promDuration', () => {
  it('writes a bucket length in the largest unit that divides it', () => {
    expect([1000, 10_000, 60_000, 90_000, 3_600_000, 7_200_000, 1500].map(promDuration)).toEqual([
      '1s',
      '10s',
      '1m',
      '90s',
      '1h',
      '2h',
      '1500ms',
    ]);
  });

  it('rejects lengths that are not positive whole milliseconds', () => {
    for (const ms of [0, -1000, 1.5, Number.NaN])
      expect(() => promDuration(ms)).toThrow(PromqlRenderError);
  });
});
