/**
 * Operator-owned endpoints (issue #13 item 1): what a spec may ask of an engine is decided by the
 * engine's capabilities, the operator's config is validated with the field named, and a metrics
 * endpoint's address and credentials come from the operator, never from the spec.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsConfigError } from '../../activities/metrics/errors.js';
import { resolveEndpoint, type MetricsSources } from '../../activities/metrics/sources.js';
import {
  CLUSTER_CAPABILITIES,
  wholeAddressPattern,
  type EngineCapabilities,
} from '../../core/capabilities.js';
import { foreignMessage, statusLine } from '../../core/foreign-text.js';
import { metricsSpecSchema } from '../../core/metrics/config.js';
import { validateReleaseSpec } from '../../core/spec.js';
import { ControlClient } from '../../sandbox/control-client.js';
import {
  capabilitiesFromEnv,
  loadEngineConfig,
  metricsSourcesOf,
  parseEngineConfig,
} from '../../worker/engine-config.js';

const minimal = { service: 'web', stableVersion: 'v1', canaryVersion: 'v2' };
const problems = (input: Record<string, unknown>, capabilities?: EngineCapabilities) => {
  const result = validateReleaseSpec(
    { ...minimal, ...input },
    capabilities ? { capabilities } : {},
  );
  return result.ok ? [] : result.problems;
};

describe('a spec checked against the engine’s capabilities', () => {
  it('refuses a sandbox router or sandbox workloads outside sandbox mode, naming the type', () => {
    expect(problems({ router: { type: 'sandbox' } }, CLUSTER_CAPABILITIES)).toEqual([
      {
        path: 'router.type',
        message:
          'is "sandbox", but this engine does not run in sandbox mode: the sandbox exists only in the local stack (npm start)',
      },
    ]);
    expect(
      problems(
        { router: { type: 'sandbox' }, workloads: { type: 'sandbox' } },
        CLUSTER_CAPABILITIES,
      ).map((p) => p.path),
    ).toEqual(['router.type', 'workloads.type']);
    expect(
      problems({ router: { type: 'sandbox' } }, { ...CLUSTER_CAPABILITIES, sandbox: true }),
    ).toEqual([]);
  });

  it('names both router.type and router.url for a sandbox spec with a foreign url in cluster mode', () => {
    const found = problems(
      { router: { type: 'sandbox', url: 'http://169.254.169.254/latest?' } },
      CLUSTER_CAPABILITIES,
    );
    expect(found.map((p) => p.path)).toEqual(['router.type', 'router.url']);
  });

  it('refuses an ad-hoc metrics address unless the operator allows it by a whole-address pattern', () => {
    const address = 'http://127.0.0.1:9999/prom';
    expect(problems({ analysis: { metrics: { address } } }, CLUSTER_CAPABILITIES)).toEqual([
      {
        path: 'analysis.metrics.address',
        message:
          'is not allowed: this engine queries only the metrics sources its operator configured; name one in analysis.metrics.source',
      },
    ]);
    const allowing = (pattern: string) => ({
      ...CLUSTER_CAPABILITIES,
      adHocMetricsAddresses: [wholeAddressPattern(pattern)],
    });
    expect(
      problems({ analysis: { metrics: { address } } }, allowing('http://127\\.0\\.0\\.1:9999/.*')),
    ).toEqual([]);
    // a pattern matches the whole address, so a prefix is no loophole
    expect(
      problems(
        { analysis: { metrics: { address: `${address}.evil.example` } } },
        allowing('http://127\\.0\\.0\\.1:9999/prom'),
      ).map((p) => p.path),
    ).toEqual(['analysis.metrics.address']);
  });

  it('refuses a metrics source the engine does not have, and a source together with an address', () => {
    expect(problems({ analysis: { metrics: { source: 'team-b' } } }, CLUSTER_CAPABILITIES)).toEqual(
      [
        {
          path: 'analysis.metrics.source',
          message: '"team-b" is not a metrics source of this engine (it has: default)',
        },
      ],
    );
    expect(
      problems({ analysis: { metrics: { source: 'default', address: 'http://prom:9090' } } }).map(
        (p) => p.path,
      ),
    ).toEqual(['analysis.metrics.source']);
  });

  it('skips the engine checks when validating offline, without capabilities (canary spec)', () => {
    expect(
      problems({ router: { type: 'sandbox' }, analysis: { metrics: { source: 'x' } } }),
    ).toEqual([]);
  });
});

describe('the operator’s engine config', () => {
  it('names the field of every problem', () => {
    expect(() =>
      parseEngineConfig({
        metricsSources: {
          default: { address: 'ftp://prom', auth: { type: 'bearer', token: { env: 'A B' } } },
          Bad_Name: { address: 'http://prom:9090' },
        },
        adHocMetricsAddresses: ['(unclosed'],
      }),
    ).toThrow(
      /metricsSources\.default\.address: .*\n.*metricsSources\.default\.auth\.token\.env: must be an environment variable name\n.*metricsSources\.Bad_Name: .*\n.*adHocMetricsAddresses\[0\]: must be a regular expression/,
    );
  });

  it('reads the file CANARY_ENGINE_CONFIG names, and says which file is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canary-engine-config-'));
    const file = join(dir, 'engine.json');
    writeFileSync(
      file,
      JSON.stringify({ metricsSources: { mimir: { address: 'https://mimir.example/prom' } } }),
    );
    const config = loadEngineConfig({ CANARY_ENGINE_CONFIG: file });
    expect(metricsSourcesOf(config, 'http://prometheus:9090').sources).toEqual({
      default: { address: 'http://prometheus:9090' },
      mimir: { address: 'https://mimir.example/prom' },
    });
    expect(capabilitiesFromEnv({ CANARY_ENGINE_CONFIG: file })).toEqual({
      sandbox: false,
      metricsSources: ['default', 'mimir'],
      adHocMetricsAddresses: [],
      metricsScrapeIntervalsMs: {},
      notificationSinks: [],
    });
    expect(capabilitiesFromEnv({ CANARY_MODE: 'sandbox' }).sandbox).toBe(true);
    writeFileSync(file, '{ not json');
    expect(() => loadEngineConfig({ CANARY_ENGINE_CONFIG: file })).toThrow(
      `CANARY_ENGINE_CONFIG ${file} is not JSON`,
    );
  });
});

describe('a release’s metrics endpoint', () => {
  const sources: MetricsSources = {
    sources: {
      default: {
        address: 'https://prom.example',
        auth: { type: 'bearer', token: { file: '/secrets/prom-token' } },
        headers: { 'X-Scope-OrgID': 'platform' },
      },
    },
    adHocAddresses: [wholeAddressPattern('http://127\\.0\\.0\\.1:\\d+')],
  };
  const io = {
    env: {},
    readFile: (path: string) => {
      if (path === '/secrets/prom-token') return 'file-token\n';
      throw new Error(`ENOENT ${path}`);
    },
  };

  it('takes the address, credentials (from a mounted file) and headers from the operator’s source', () => {
    const endpoint = resolveEndpoint(
      metricsSpecSchema.parse({ headers: { 'X-Scope-OrgID': 'team-a', 'X-Trace': '1' } }),
      sources,
      io,
    );
    expect(endpoint).toEqual({
      address: 'https://prom.example',
      auth: { type: 'bearer', token: 'file-token' },
      headers: { 'X-Scope-OrgID': 'platform', 'X-Trace': '1' },
      trusted: true,
    });
  });

  it('sends an allowed ad-hoc address no credentials and none of the operator’s headers', () => {
    const endpoint = resolveEndpoint(
      metricsSpecSchema.parse({ address: 'http://127.0.0.1:9999', headers: { 'X-Trace': '1' } }),
      sources,
      io,
    );
    expect(endpoint).toEqual({
      address: 'http://127.0.0.1:9999',
      headers: { 'X-Trace': '1' },
      trusted: false,
    });
  });

  it('refuses, without retries, an address or a source the operator did not configure', () => {
    expect(() =>
      resolveEndpoint(metricsSpecSchema.parse({ address: 'http://10.0.0.1:9090' }), sources, io),
    ).toThrow(
      new MetricsConfigError(
        "analysis.metrics.address http://10.0.0.1:9090 is not an ad-hoc address this engine's operator allows",
      ),
    );
    expect(() =>
      resolveEndpoint(metricsSpecSchema.parse({ source: 'team-b' }), sources, io),
    ).toThrow(
      'analysis.metrics.source "team-b" is not a metrics source of this worker (it has: default)',
    );
  });
});

describe('text from foreign servers', () => {
  it('never puts an answer body into a sandbox control error, only its status line', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' }).end('<html>SECRET-BODY-42</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const error = await new ControlClient(`http://127.0.0.1:${port}`).state().then(
        () => new Error('expected a failure'),
        (e: unknown) => e as Error,
      );
      expect(error.message).toContain('HTTP 500 Internal Server Error');
      expect(error.message).not.toContain('SECRET-BODY-42');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('is one printable line, capped, and a status line carries only a plain reason phrase', () => {
    expect(foreignMessage('a\nb\u0007c\u2028d', 300)).toBe('a b c d');
    expect(foreignMessage('x'.repeat(10), 4)).toBe('xxxx…');
    expect(statusLine(502, 'Bad Gateway')).toBe('HTTP 502 Bad Gateway');
    expect(statusLine(200, '<script>alert(1)</script>')).toBe('HTTP 200');
  });
});
