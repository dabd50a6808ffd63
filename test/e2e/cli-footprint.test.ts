/**
 * What the CLI loads before any command runs (so what `dev` pays for): the DynamoDB client it
 * may serve with; not the Lambda client (loaded on a first invocation of an AWS function), nor
 * the deploy and admin ones (CloudFormation, S3, STS), which load when `deploy` or an admin
 * command runs. Reads dist/: `npm test` builds first.
 */
import { execFile } from "node:child_process"
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
