/**
 * The official MCP conformance suite (server scenarios, revision 2025-11-25) against the dev
 * server, with fixture functions for its test tools, resources and prompts (test/conformance/).
 * Every check of every scenario must pass; SHOULD-level checks (WARNING) are listed by name.
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

const CLI = "node_modules/@modelcontextprotocol/conformance/dist/index.js"

/** Runs the suite (`spawn`: the server runs in this process) and reads each scenario's checks. */
const runSuite = (url: string, outputDir: string) =>
  new Promise<Map<string, ReadonlyArray<Check>>>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "./test/conformance/node20/register.mjs", CLI, "server", "--url", url, "--suite", "all", "-o", outputDir],
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
        results.set(scenario, JSON.parse(readFileSync(join(outputDir, dir, "checks.json"), "utf8")) as ReadonlyArray<Check>)
      }
      if (results.size === 0) reject(new Error(`the conformance suite wrote no results:\n${output}`))
      else resolve(results)
    })
  })

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
    results = await runSuite(`${server.url}/mcp`, outputDir)
  }, 120_000)
  afterAll(async () => {
    await server?.close()
    rmSync(outputDir, { recursive: true, force: true })
  })

  it("runs every server scenario", () => {
    expect(results.size).toBeGreaterThanOrEqual(32)
  })

  it("passes every check of every scenario", () => {
    const failures = [...results].flatMap(([scenario, checks]) =>
      checks.filter((check) => check.status === "FAILURE").map((check) => `${scenario} / ${check.id}: ${check.errorMessage ?? check.description}`)
    )
    expect(failures).toEqual([])
  })

  it("scores every scenario: at least one passed check each", () => {
    const unscored = [...results].filter(([, checks]) => !checks.some((check) => check.status === "SUCCESS")).map(([scenario]) => scenario)
    expect(unscored).toEqual([])
  })

  it("meets the SHOULDs too: no warnings", () => {
    const warnings = [...results].flatMap(([scenario, checks]) =>
      checks.filter((check) => check.status === "WARNING").map((check) => `${scenario} / ${check.id}: ${check.errorMessage ?? check.description}`)
    )
    expect(warnings).toEqual([])
  })
})
