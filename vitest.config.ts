import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url))

/**
 * Three projects: `unit` (in-process, TestClock; seconds), `process` (real child processes with
 * real signals; their programs are bundled once by test/setup/fixtures.ts) and `cluster` (the
 * fast effect-host/cluster tests: in-process members on real SQLite files and a real PostgreSQL,
 * which test/cluster/setup/postgres.ts starts unless EFFECT_HOST_POSTGRES_URL names one). A test
 * file that spawns processes is named `*process.test.ts`. `npm test` runs all three
 * (scripts/test.ts: the waiting process tests beside the CPU-bound rest); `npm run test:unit`
 * the unit ones, `npm run test:process` the process ones. The long cluster acceptance
 * suite (real processes, kill -9, minutes) is vitest.cluster.config.ts: `npm run test:cluster`.
 */
const processTests = ["test/**/*process.test.ts"]
const clusterTests = ["test/cluster/**"]

/** Tests import the package by its public name, as users do (also vitest.cluster.config.ts). */
export const resolve = {
  alias: [
    { find: /^effect-host$/, replacement: src("index.ts") },
    { find: /^effect-host\/(node|testing|http|cluster)$/, replacement: src("$1.ts") }
  ]
}

export default defineConfig({
  resolve,
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Removes the temporary directories each test file made (test/util/tempDir.ts).
    setupFiles: ["test/setup/tempDirs.ts"],
    // Two workers match the two-core CI machine.
    // Test files share one module graph per worker (isolate: false): importing effect and src/
    // once per worker instead of once per file halves the in-process tests' CPU time. A test
    // file therefore leaves no global state behind (process.env, listeners) for the next one.
    poolOptions: { forks: { maxForks: 2, minForks: 1, isolate: false } },
    pool: "forks",
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [...processTests, ...clusterTests] }
      },
      {
        extends: true,
        test: { name: "process", include: processTests, exclude: clusterTests, globalSetup: ["test/setup/fixtures.ts"] }
      },
      {
        extends: true,
        test: {
          name: "cluster",
          include: ["test/cluster/*.test.ts"],
          globalSetup: ["test/cluster/setup/postgres.ts"]
        }
      }
    ]
  }
})
