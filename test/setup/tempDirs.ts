/**
 * A setup file of every vitest project: runs before each test file (also when files share a
 * worker's module graph) and removes the directories the file made with `tempDir` once its own
 * `afterAll` hooks, which stop what still uses them, have run (after hooks run last-registered first).
 */
import { afterAll } from "vitest"
import { removeTempDirs } from "../util/tempDir.js"

afterAll(removeTempDirs)
