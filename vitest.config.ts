import { defineConfig } from 'vitest/config';

/** Unit tests of the core run in Node; the browser is covered by tests/e2e (playwright-core). */
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
});
