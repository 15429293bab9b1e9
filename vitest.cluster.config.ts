import { defineConfig } from "vitest/config"
import { resolve } from "./vitest.config.js"

/**
 * The effect-host/cluster acceptance suite (`npm run test:cluster`): real runner processes on a
 * SQLite file and on PostgreSQL, kill -9 and SIGTERM, thousands of durable tasks, the migration
 * race; minutes, so outside `npm test`. One file at a time: the timings it checks need the
 * machine's two cores. PostgreSQL: as for `npm test` (test/cluster/setup/postgres.ts).
 */
export default defineConfig({
  resolve,
  test: {
    name: "cluster-acceptance",
    include: ["test/cluster/acceptance/**/*.test.ts"],
    globalSetup: ["test/setup/fixtures.ts", "test/cluster/setup/postgres.ts"],
    setupFiles: ["test/setup/tempDirs.ts"],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false
  }
})
