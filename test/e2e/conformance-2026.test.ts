/**
 * The official MCP conformance suite for revision 2026-07-28 (0.2.0-alpha, `--requirements
 * 2026-07-28`) against the dev server, with the fixture functions of test/conformance/: every
 * scenario, the tasks extension's included (its status-notification scenario is a placeholder
 * the suite skips).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Check, checksWith, runConformance } from "../support/conformance.js"
import { type RunningServer, startDevServer } from "../support/servers.js"

describe("MCP conformance suite (server, 2026-07-28)", () => {
  let server: RunningServer
  let results: Map<string, ReadonlyArray<Check>>
  const outputDir = mkdtempSync(join(tmpdir(), "conformance-2026-"))

  beforeAll(async () => {
    server = await startDevServer({ functionsDir: "test/conformance/functions", seedFile: "test/conformance/registrations.json" })
    // The list-change trigger functions change registrations through this server's Registration API.
    process.env["CONFORMANCE_SERVER_URL"] = server.url
    results = await runConformance(
      "node_modules/conformance-next/dist/index.js",
      ["--url", `${server.url}/mcp`, "--requirements", "2026-07-28"],
      outputDir
    )
  }, 180_000)
  afterAll(async () => {
    await server?.close()
    rmSync(outputDir, { recursive: true, force: true })
  })

  const checks = (status: Check["status"]) => checksWith(results, status)

  it("runs the revision's server scenarios, the tasks extension's among them", () => {
    expect(results.size).toBeGreaterThanOrEqual(48)
    expect([...results.keys()].filter((scenario) => scenario.startsWith("tasks-")).length).toBeGreaterThanOrEqual(10)
  })

  it("passes every check", () => {
    expect(checks("FAILURE")).toEqual([])
  })

  it("meets the SHOULDs too: no warnings", () => {
    expect(checks("WARNING")).toEqual([])
  })
})
