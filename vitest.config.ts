import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests share one Redis and one machine with 2 cores; each test file uses its own key prefix.
    fileParallelism: true,
    maxWorkers: 2,
  },
})
