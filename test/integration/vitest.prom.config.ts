import { defineConfig } from 'vitest/config';

// The metrics tests without the repo-wide global setup (they start their own Prometheus and
// exporter and need no Temporal server): npx vitest run -c test/integration/vitest.prom.config.ts
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: [
      'test/integration/prometheus*.test.ts',
      'test/unit/promql.test.ts',
      'test/unit/prometheus-client.test.ts',
      'test/unit/metrics*.test.ts',
    ],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
