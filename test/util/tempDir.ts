/**
 * Temporary directories for tests, removed when the test file that made them ends
 * (test/setup/tempDirs.ts registers the removal for every file). Without it, each `npm test` left
 * about 250 directories under the system's temporary directory.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const made = new Set<string>()

/** A fresh, empty directory under the system's temporary directory, removed after this test file. */
export const tempDir = (prefix: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  made.add(dir)
  return dir
}

/** Removes every directory `tempDir` made so far (test/setup/tempDirs.ts, after each file). */
export const removeTempDirs = (): void => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
  made.clear()
}
