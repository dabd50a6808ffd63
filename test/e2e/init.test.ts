/**
 * `mcp-lambda-sam init` in each variant (JavaScript or TypeScript, buffered or streaming): the
 * scaffold's own tests pass as written, nothing is overwritten, and `register --from DIR` posts
 * its registration. The packed, installed package is first-minutes.test.ts's business.
 */
import { execFile } from "node:child_process"
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startDevServer } from "../support/servers.js"
import { startRecorder, TEST_CREDENTIALS } from "../support/sigv4Recorder.js"

const run = promisify(execFile)
const TSX = resolve("node_modules/.bin/tsx")
const BIN = resolve("src/cli/bin.ts")

let dir = ""

/** The command's exit code and output, failure or not. */
const exec = (file: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  run(file, args, { cwd: dir, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env }, timeout: 60_000 })
    .then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr })
    )

const cli = (...args: ReadonlyArray<string>) => exec(TSX, [BIN, ...args])

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "init-"))
  // tsc resolves @types/node from here upwards, as from a project that installed it.
  await symlink(resolve("node_modules"), join(dir, "node_modules"))
})

afterAll(async () => {
  if (dir !== "") await rm(dir, { recursive: true, force: true })
})

describe("mcp-lambda-sam init", () => {
  it.each([
    { variant: "JavaScript", flags: [], testDir: "test" },
    { variant: "JavaScript, streaming", flags: ["--streaming"], testDir: "test" },
    { variant: "TypeScript", flags: ["--typescript"], testDir: "dist/test" },
    { variant: "TypeScript, streaming", flags: ["--typescript", "--streaming"], testDir: "dist/test" }
  ])("$variant: a function, its test, its registration and a SAM template; the test passes", async ({ flags, testDir }) => {
    const name = `tool-${flags.map((flag) => flag.slice(2, 4)).join("") || "js"}`
    const init = await cli("init", name, ...flags)
    expect(init).toMatchObject({ code: 0 })
    const registrations = JSON.parse(await readFile(join(dir, name, "registrations.json"), "utf8"))
    expect(registrations).toEqual([
      expect.objectContaining({
        type: "tool",
        name,
        lambdaArn: `arn:aws:lambda:us-east-1:123456789012:function:mcp-tool-${name}`,
        ...(flags.includes("--streaming") ? { streaming: true } : {})
      })
    ])
    const template = await readFile(join(dir, name, "template.yaml"), "utf8")
    expect(template).toContain(`FunctionName: mcp-tool-${name}`)
    expect(template).toContain(`Handler: mcp-tool-${name}.handler`)
    if (flags.includes("--typescript")) {
      expect(await exec(resolve("node_modules/.bin/tsc"), ["-p", join(name, "tsconfig.json")])).toMatchObject({ code: 0 })
      expect(await readdir(join(dir, name, "dist/functions"))).toEqual([`mcp-tool-${name}.mjs`])
    }
    const tested = await exec(process.execPath, ["--test", join(name, testDir)])
    expect(tested, tested.stdout).toMatchObject({ code: 0 })
    expect(tested.stdout).toMatch(/# fail 0/)
  }, 90_000)

  it("writes nothing when any of its files is in the way, and exits non-zero", async () => {
    await mkdir(join(dir, "taken"))
    await writeFile(join(dir, "taken", "registrations.json"), "[]\n")
    const result = await cli("init", "taken")
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain(`Not overwriting ${join("taken", "registrations.json")}`)
    expect(await readdir(join(dir, "taken"))).toEqual(["registrations.json"])
    expect(await readFile(join(dir, "taken", "registrations.json"), "utf8")).toBe("[]\n")
  }, 60_000)

  it("refuses a tool name functions cannot carry", async () => {
    const result = await cli("init", "odd", "--name", "no spaces")
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain("--name no spaces")
  }, 60_000)
})

describe("mcp-lambda-sam register --from DIR", () => {
  let server: RunningServer
  let recorder: Awaited<ReturnType<typeof startRecorder>>

  beforeAll(async () => {
    await cli("init", "fromdir")
    await writeFile(join(dir, "empty.json"), "[]")
    // The dev server's Registration API accepts the scaffold's function because it is local here.
    server = await startDevServer({ functionsDir: join(dir, "fromdir", "functions"), seedFile: join(dir, "empty.json") })
    recorder = await startRecorder(server.url)
  }, 60_000)

  afterAll(async () => {
    await recorder?.close()
    await server?.close()
  })

  it("registers each registration of DIR/registrations.json, signed", async () => {
    const result = await exec(TSX, [BIN, "register", "--from", "fromdir", "--url", recorder.url, "--region", "us-east-1"], {
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey
    })
    expect(result).toMatchObject({ code: 0, stdout: "Registered tool-fromdir (version 1)\n" })
    const stored = await fetch(`${server.url}/register/tool-fromdir`)
    expect(stored.status).toBe(200)
    expect(await stored.json()).toMatchObject({ name: "fromdir", lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:mcp-tool-fromdir" })
  }, 60_000)
})
