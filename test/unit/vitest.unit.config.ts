import { defineConfig } from 'vitest/config';

// Unit tests only, without the repository's global setup (which starts a Temporal dev server):
//   npx vitest run -c test/unit/vitest.unit.config.ts [files]
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
