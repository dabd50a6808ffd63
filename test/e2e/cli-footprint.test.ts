/**
 * What the CLI loads before any command runs (so what `dev` pays for): the DynamoDB client it
 * may serve with; not the Lambda client (loaded on a first invocation of an AWS function), nor
 * the deploy and admin ones (CloudFormation, S3, STS), which load when `deploy` or an admin
 * command runs. And the built CLI runs from its bundle (`dist/bin/`), not from the hundreds of
 * modules it was built from. Reads dist/: `npm test` builds first.
 */
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { pathToFileURL } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const run = promisify(execFile)

const LIST_AWS_CLIENTS = `
import { createRequire } from "node:module"
await import("./dist/cli/Commands.js")
const loaded = Object.keys(createRequire(import.meta.url).cache).map((path) => /@aws-sdk\\/(client-[a-z0-9-]+)\\//.exec(path)?.[1])
console.log(JSON.stringify([...new Set(loaded.filter((name) => name !== undefined))].sort()))
`

describe("the CLI at start", () => {
  it("loads only the DynamoDB client: no Lambda client before an invocation, no deploy-only or admin-only one", async () => {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", LIST_AWS_CLIENTS], { timeout: 60_000 })
    expect(JSON.parse(stdout)).toEqual(["client-dynamodb"])
  }, 60_000)
})

/** A module hook that writes every file module Node resolves to stderr, registered with --import. */
const HOOKS = `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  if (result.url.startsWith("file:")) process.stderr.write("loaded " + result.url + "\\n")
  return result
}`
const REGISTER = `import { register } from "node:module"; register("data:text/javascript," + encodeURIComponent(${JSON.stringify(HOOKS)}))`

describe("the built CLI", () => {
  it("runs from its bundle: bin.js, then only dist/bin/ (its chunks), nothing from node_modules or dist's other modules; of the AWS clients, only DynamoDB's at start", async () => {
    const { stderr, stdout } = await run(process.execPath, ["--import", `data:text/javascript,${encodeURIComponent(REGISTER)}`, "dist/cli/bin.js", "--help"], { timeout: 60_000 })
    expect(stdout).toContain("mcp-lambda-sam")
    const loaded = stderr.split("\n").filter((line) => line.startsWith("loaded ")).map((line) => line.slice("loaded ".length))
    const root = pathToFileURL(process.cwd()).href
    const relative = loaded.map((url) => url.slice(root.length + 1))
    expect(relative[0]).toBe("dist/cli/bin.js")
    expect(relative).toContain("dist/bin/cli.mjs")
    expect(relative.slice(1).filter((path) => !path.startsWith("dist/bin/"))).toEqual([])
    // What it loads at start holds the DynamoDB client and no other: the others are in chunks loaded on demand.
    const clients = new Set<string>()
    for (const path of relative) {
      for (const match of readFileSync(path, "utf8").matchAll(/var (\w+)Client\d* = class/g)) clients.add(match[1]!)
    }
    expect([...clients].filter((name) => ["DynamoDB", "Lambda", "S3", "CloudFormation", "STS", "SSO", "SSOOIDC"].includes(name)).sort()).toEqual(["DynamoDB"])
  }, 60_000)
})
