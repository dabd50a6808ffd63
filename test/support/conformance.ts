/** Runs the official MCP conformance CLI (spawned: the server under test runs in this process) and reads its checks. */
import { spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

export interface Check {
  readonly id: string
  readonly status: "SUCCESS" | "FAILURE" | "WARNING" | "SKIPPED" | "INFO"
  readonly description?: string
  readonly errorMessage?: string
}

/**
 * `cli` is the package's `dist/index.js`, run on Node 20 through the loader hook in
 * test/conformance/node20 (the CLI imports `fs.globSync`, Node 22's). Each scenario's checks,
 * by name; a scenario that wrote none counts as one failure.
 */
export const runConformance = (cli: string, args: ReadonlyArray<string>, outputDir: string) =>
  new Promise<Map<string, ReadonlyArray<Check>>>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "./test/conformance/node20/register.mjs", cli, "server", ...args, "-o", outputDir], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.on("error", reject)
    child.on("close", () => {
      const results = new Map<string, ReadonlyArray<Check>>()
      for (const dir of readdirSync(outputDir)) {
        const scenario = dir.replace(/^server-/, "").replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, "")
        try {
          results.set(scenario, JSON.parse(readFileSync(join(outputDir, dir, "checks.json"), "utf8")) as ReadonlyArray<Check>)
        } catch {
          results.set(scenario, [{ id: scenario, status: "FAILURE", errorMessage: "no checks written" }])
        }
      }
      if (results.size === 0) reject(new Error(`the conformance suite wrote no results:\n${output}`))
      else resolve(results)
    })
  })

/** `scenario / check: why` for every check of a status. */
export const checksWith = (results: ReadonlyMap<string, ReadonlyArray<Check>>, status: Check["status"]) =>
  [...results].flatMap(([scenario, checks]) =>
    checks.filter((check) => check.status === status).map((check) => `${scenario} / ${check.id}: ${check.errorMessage ?? check.description}`)
  )
