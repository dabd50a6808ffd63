/**
 * The official MCP conformance suite for revision 2026-07-28 (0.2.0-alpha, `--requirements
 * 2026-07-28`) against the dev server, with the fixture functions of test/conformance/: every
 * scenario, the tasks extension's included (its status-notification scenario is a placeholder
 * the suite skips).
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startDevServer } from "../support/servers.js"

interface Check {
  readonly id: string
  readonly status: "SUCCESS" | "FAILURE" | "WARNING" | "SKIPPED" | "INFO"
  readonly description?: string
  readonly errorMessage?: string
}

const CLI = "node_modules/conformance-next/dist/index.js"

const runSuite = (url: string, outputDir: string) =>
  new Promise<Map<string, ReadonlyArray<Check>>>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "./test/conformance/node20/register.mjs", CLI, "server", "--url", url, "--requirements", "2026-07-28", "-o", outputDir],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.on("error", reject)
    child.on("close", () => {
      const results = new Map<string, ReadonlyArray<Check>>()
      for (const dir of readdirSync(outputDir)) {
        const scenario = dir.replace(/^server-/, "").replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, "")
        const file = join(outputDir, dir, "checks.json")
        try {
          results.set(scenario, JSON.parse(readFileSync(file, "utf8")) as ReadonlyArray<Check>)
        } catch {
          results.set(scenario, [{ id: scenario, status: "FAILURE", errorMessage: "no checks written" }])
        }
      }
      if (results.size === 0) reject(new Error(`the conformance suite wrote no results:\n${output}`))
      else resolve(results)
    })
  })

describe("MCP conformance suite (server, 2026-07-28)", () => {
  let server: RunningServer
  let results: Map<string, ReadonlyArray<Check>>
  const outputDir = mkdtempSync(join(tmpdir(), "conformance-2026-"))

  beforeAll(async () => {
    server = await startDevServer({ functionsDir: "test/conformance/functions", seedFile: "test/conformance/registrations.json" })
    // The list-change trigger functions change registrations through this server's Registration API.
    process.env["CONFORMANCE_SERVER_URL"] = server.url
    results = await runSuite(`${server.url}/mcp`, outputDir)
  }, 180_000)
  afterAll(async () => {
    await server?.close()
    rmSync(outputDir, { recursive: true, force: true })
  })

  const checks = (status: Check["status"]) =>
    [...results].flatMap(([scenario, all]) =>
      all.filter((check) => check.status === status).map((check) => `${scenario} / ${check.id}: ${check.errorMessage ?? check.description}`)
    )

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
