/** What counts as CI (every spelling CI services use, and no explicit "no"), and what .ci/run checks first. */
import { execFile } from "node:child_process"
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import { isCi } from "../support/ci.js"

const run = promisify(execFile)

describe("isCi", () => {
  it("counts any value of CI as CI: 1, true, True, TRUE, yes", () => {
    for (const value of ["1", "true", "True", "TRUE", "yes", "github-actions"]) expect(isCi(value), value).toBe(true)
  })

  it("does not count an unset, empty or explicitly negative CI", () => {
    for (const value of [undefined, "", "0", "false", "False", "no", "off", " false "]) expect(isCi(value), String(value)).toBe(false)
  })
})

describe(".ci/run", () => {
  /** `.ci/run --check` with a `java` that prints `versionLine` (as `java -version` does, on stderr). */
  const check = async (versionLine: string | undefined) => {
    const bin = await mkdtemp(join(tmpdir(), "fake-java-"))
    await writeFile(
      join(bin, "java"),
      versionLine === undefined ? "#!/bin/sh\nexit 127\n" : `#!/bin/sh\necho '${versionLine}' >&2\necho 'Runtime Environment' >&2\n`,
      { mode: 0o755 }
    )
    return run("bash", [".ci/run", "--check"], { env: { ...process.env, PATH: `${bin}:${process.env["PATH"]}` } }).then(
      ({ stderr }) => ({ code: 0, stderr }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr })
    )
  }
  const JAVA_TOO_OLD = /CI needs Java 17\+ for DynamoDB Local/

  it("refuses a Java older than 17, or none", async () => {
    for (const line of ['java version "1.8.0_202"', 'openjdk version "11.0.22" 2024-01-16', 'openjdk version "16" 2021-03-16', undefined]) {
      const result = await check(line)
      expect(result.code, String(line)).toBe(1)
      expect(result.stderr, String(line)).toMatch(JAVA_TOO_OLD)
    }
  }, 30_000)

  it("accepts Java 17 and later", async () => {
    for (const line of ['openjdk version "17.0.15" 2025-04-15', 'openjdk version "21" 2023-09-19', 'java version "25.0.1" 2025-10-21 LTS']) {
      expect((await check(line)).stderr, line).not.toMatch(JAVA_TOO_OLD)
    }
  }, 30_000)
})
