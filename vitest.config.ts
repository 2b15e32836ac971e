import { defineConfig } from 'vitest/config';

// One Temporal dev server (and, where present, Prometheus and kube-apiserver) is started by
// test/harness/global-setup.ts for the whole run and shared by every integration test.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: false, maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: true,
    reporters: ['default'],
  },
});
