/**
 * The official MCP conformance suite (server scenarios, revision 2025-11-25) against the dev
 * server, with fixture functions for its test tools, resources and prompts (test/conformance/).
 * Every check of every scenario must pass; SHOULD-level checks (WARNING) are listed by name.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Check, checksWith, runConformance } from "../support/conformance.js"
import { type RunningServer, startDevServer } from "../support/servers.js"

describe("MCP conformance suite (server, 2025-11-25)", () => {
  let server: RunningServer
  let results: Map<string, ReadonlyArray<Check>>
  const outputDir = mkdtempSync(join(tmpdir(), "conformance-"))

  beforeAll(async () => {
    server = await startDevServer({
      functionsDir: "test/conformance/functions",
      seedFile: "test/conformance/registrations.json",
      // Short streams: every scenario also exercises resumption (Last-Event-ID) of cut streams.
      maxStreamDuration: "1 second"
    })
    results = await runConformance(
      "node_modules/@modelcontextprotocol/conformance/dist/index.js",
      ["--url", `${server.url}/mcp`, "--suite", "all"],
      outputDir
    )
  }, 120_000)
  afterAll(async () => {
    await server?.close()
    rmSync(outputDir, { recursive: true, force: true })
  })

  it("runs every server scenario", () => {
    expect(results.size).toBeGreaterThanOrEqual(32)
  })

  it("passes every check of every scenario", () => {
    const failures = checksWith(results, "FAILURE")
    expect(failures).toEqual([])
  })

  it("scores every scenario: at least one passed check each", () => {
    const unscored = [...results].filter(([, checks]) => !checks.some((check) => check.status === "SUCCESS")).map(([scenario]) => scenario)
    expect(unscored).toEqual([])
  })

  it("meets the SHOULDs too: no warnings", () => {
    const warnings = checksWith(results, "WARNING")
    expect(warnings).toEqual([])
  })
})
