/** The package as users get it: the built library through its exports map, and the built bin. */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const run = promisify(execFile)

describe("the built package", () => {
  it("exposes the services, layers, engine and apps through `mcp-lambda-sam`", async () => {
    // Self-reference resolves through package.json "exports" to dist/, as a dependant's import does.
    const library = await import("mcp-lambda-sam")
    for (const name of [
      "Registry",
      "SessionStore",
      "ToolInvoker",
      "MemoryRegistry",
      "MemorySessionStore",
      "LocalFunctionInvoker",
      "McpEngine",
      "McpApi",
      "RegistrationApi",
      "Caller",
      "devServer"
    ]) {
      expect(library, name).toHaveProperty(name)
    }
    expect(typeof library.McpApi.make).toBe("function")
    expect(typeof library.MemoryRegistry.layerMemory).toBe("object")
  })

  it("the bin answers --help with its commands", async () => {
    const { stdout } = await run("node", ["dist/cli/bin.js", "--help"])
    expect(stdout).toContain("mcp-lambda-sam")
    expect(stdout).toMatch(/\bdev\b/)
  })
})
