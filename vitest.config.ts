import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: ['src/testing/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for an event (a page drawn, a job done): 1 s, vitest's default, is too short on a busy CI machine.
    expect: { poll: { timeout: 10_000 } },
    // Two cores: more workers than that only adds contention on the databases.
    maxWorkers: 2,
  },
});
