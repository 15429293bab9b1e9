import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url))

/**
 * Two projects: `unit` (in-process, TestClock; seconds) and `process` (real child processes with
 * real signals; their programs are bundled once by test/setup/fixtures.ts). A test file that
 * spawns processes is named `*process.test.ts`. `npm test` runs both; `npm run test:unit` the first.
 */
const processTests = ["test/**/*process.test.ts"]

export default defineConfig({
  resolve: {
    // Tests import the package by its public name, as users do.
    alias: [
      { find: /^effect-host$/, replacement: src("index.ts") },
      { find: /^effect-host\/(node|testing|http)$/, replacement: src("$1.ts") }
    ]
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two workers match the two-core CI machine.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: "forks",
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: processTests } },
      { extends: true, test: { name: "process", include: processTests, globalSetup: ["test/setup/fixtures.ts"] } }
    ]
  }
})
