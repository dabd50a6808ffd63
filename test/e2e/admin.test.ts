/**
 * The admin commands as a user runs them, against the dev server behind a recorder that checks
 * every request's SigV4 signature with the signing library and known test credentials.
 */
import { execFile } from "node:child_process"
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { CloudFormationClient, CreateStackCommand } from "@aws-sdk/client-cloudformation"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { makeSigner, signedFetch, toHttpRequest } from "../../src/admin/SigV4.js"
import { type RunningServer, startDevServer } from "../support/servers.js"
import { startRecorder, TEST_CREDENTIALS, verify } from "../support/sigv4Recorder.js"
import { readSse } from "../support/sse.js"

const run = promisify(execFile)

let server: RunningServer
let recorder: Awaited<ReturnType<typeof startRecorder>>
let dir = ""

beforeAll(async () => {
  // The tools registered here name functions that are not local, as they would on AWS.
  server = await startDevServer({ allowAws: true })
  recorder = await startRecorder(server.url)
  dir = await mkdtemp(join(tmpdir(), "admin-"))
  await writeFile(join(dir, "translate.json"), JSON.stringify({
    type: "tool",
    name: "translate",
    description: "Translate text",
    lambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:translate",
    parameters: { text: "string" }
  }))
  await writeFile(join(dir, "translate-v2.yaml"), [
    "type: tool",
    "name: translate",
    "description: Translate text, v2",
    "lambdaArn: arn:aws:lambda:us-east-1:123456789012:function:translate",
    "parameters:",
    "  text: string",
    "  to: { type: string, optional: true }"
  ].join("\n"))
  await writeFile(join(dir, "invalid.json"), JSON.stringify({ type: "tool", name: "bad name", lambdaArn: "nope" }))
}, 60_000)

afterAll(async () => {
  await recorder.close()
  await server.close()
})

const cli = (...args: Array<string>) => exec(...args, "--url", recorder.url)

const exec = (...args: Array<string>) =>
  run("node_modules/.bin/tsx", ["src/cli/bin.ts", ...args, "--region", "us-east-1"], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true"
    },
    timeout: 60_000
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr })
  )

describe("admin commands", () => {
  it("register, list, get, update and delete a registration, every request signed", async () => {
    const registered = await cli("register", "--file", join(dir, "translate.json"))
    expect(registered).toMatchObject({ code: 0, stdout: "Registered tool-translate (version 1)\n" })
    const listed = await cli("list", "--type", "tool")
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(/^ID\s+VERSION\s+LAMBDA ARN\s+DESCRIPTION/)
    expect(listed.stdout).toMatch(/tool-translate\s+1\s+arn:aws:lambda:us-east-1:123456789012:function:translate\s+Translate text/)
    const asJson = JSON.parse((await cli("list", "--json")).stdout) as Array<{ id: string }>
    expect(asJson.map((item) => item.id)).toContain("tool-translate")
    const got = await cli("get", "tool-translate")
    expect(JSON.parse(got.stdout)).toMatchObject({ id: "tool-translate", inputSchema: { required: ["text"] } })
    const updated = await cli("update", "tool-translate", "--file", join(dir, "translate-v2.yaml"), "--if-match", "1")
    expect(updated).toMatchObject({ code: 0, stdout: "Updated tool-translate (version 2)\n" })
    const stale = await cli("update", "tool-translate", "--file", join(dir, "translate-v2.yaml"), "--if-match", "1")
    expect(stale.code).not.toBe(0)
    expect(stale.stderr).toMatch(/Error: 412: .*version 2, not 1/)
    expect(await cli("delete", "tool-translate")).toMatchObject({ code: 0, stdout: "Deleted tool-translate\n" })
    const gone = await cli("get", "tool-translate")
    expect(gone.code).not.toBe(0)
    expect(gone.stderr).toMatch(/Error: 404/)
    expect(recorder.recorded.length).toBeGreaterThanOrEqual(8)
    expect(recorder.recorded.filter((request) => !request.valid)).toEqual([])
  }, 120_000)

  it("registers from flags", async () => {
    const registered = await cli(
      "register", "--type", "tool", "--name", "flagged", "--description", "From flags",
      "--lambda-arn", "arn:aws:lambda:us-east-1:123456789012:function:weather", "--parameters", "{\"city\":\"string\"}"
    )
    expect(registered).toMatchObject({ code: 0, stdout: "Registered tool-flagged (version 1)\n" })
    expect(JSON.parse((await cli("get", "tool-flagged")).stdout)).toMatchObject({ description: "From flags", inputSchema: { required: ["city"] } })
  }, 60_000)

  // Without moto this is skipped, and says so (in CI the test setup fails instead).
  it.skipIf(inject("motoEndpoint") === "")("finds the URL from a stack's outputs", async () => {
    const moto = inject("motoEndpoint")
    // A stack whose RegistrationFunctionUrl output is the recorder, as a deployed stack's would be its URL.
    const cloudformation = new CloudFormationClient({ endpoint: moto, region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } })
    await cloudformation.send(new CreateStackCommand({
      StackName: "admin-outputs",
      TemplateBody: JSON.stringify({
        Parameters: { Url: { Type: "String" } },
        Resources: { Handle: { Type: "AWS::CloudFormation::WaitConditionHandle" } },
        Outputs: { RegistrationFunctionUrl: { Value: { Ref: "Url" } } }
      }),
      Parameters: [{ ParameterKey: "Url", ParameterValue: `${recorder.url}/` }]
    }))
    cloudformation.destroy()
    const listed = await exec("list", "--stack-name", "admin-outputs", "--endpoint-url", moto, "--json")
    expect(listed.code).toBe(0)
    // The dev server's seeded examples, read through the URL the stack named.
    expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((item) => item.id)).toContain("tool-weather")
  }, 60_000)

  it("an invalid registration is refused before anything is sent, with each problem", async () => {
    const before = recorder.recorded.length
    const result = await cli("register", "--file", join(dir, "invalid.json"))
    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(/Error: The registration is invalid/)
    expect(result.stderr).toMatch(/name: must be 1–64 characters/)
    expect(result.stderr).toMatch(/lambdaArn: must be a Lambda function ARN/)
    expect(recorder.recorded.length).toBe(before)
  }, 60_000)

  it("tools and call reach the MCP server with signed requests", async () => {
    const before = recorder.recorded.length
    const listed = await exec("tools", "--url", `${recorder.url}/mcp`)
    expect(listed.code).toBe(0)
    // The seeded examples (whatever other tests registered may be there too).
    expect(listed.stdout.split("\n").map((line) => line.split("\t")[0]).filter((name) => name !== "")).toEqual(
      expect.arrayContaining(["inventory", "statistics", "weather"])
    )
    const called = await exec("call", "statistics", "--args", "{\"numbers\":[1,2,3]}", "--url", `${recorder.url}/mcp`)
    expect(called.code).toBe(0)
    expect(JSON.parse(called.stdout)).toMatchObject({ structuredContent: { count: 3, sum: 6 } })
    const failed = await exec("call", "inventory", "--args", "{\"sku\":\"X\"}", "--url", `${recorder.url}/mcp`)
    expect(failed.code).not.toBe(0)
    expect(JSON.parse(failed.stdout)).toMatchObject({ isError: true })
    const mine = recorder.recorded.slice(before)
    expect(mine.length).toBeGreaterThan(0)
    expect(mine.filter((request) => !request.valid)).toEqual([])
  }, 60_000)

  it("notify-updated tells the sessions subscribed to a resource, and refuses a relative URI", async () => {
    const uri = "file:///notes.txt"
    // An MCP session on the dev server itself that subscribes to the resource.
    const mcp = (body: unknown, sessionId?: string) =>
      fetch(`${server.url}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...(sessionId === undefined ? {} : { "mcp-session-id": sessionId })
        },
        body: JSON.stringify(body)
      })
    const initialized = await mcp({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "admin-test", version: "1" } }
    })
    const sessionId = initialized.headers.get("mcp-session-id")!
    await initialized.text()
    await (await mcp({ jsonrpc: "2.0", method: "notifications/initialized" }, sessionId)).text()
    const subscribed = await mcp({ jsonrpc: "2.0", id: 1, method: "resources/subscribe", params: { uri } }, sessionId)
    expect(await subscribed.json()).toMatchObject({ id: 1, result: {} })
    const before = recorder.recorded.length
    const notified = await cli("notify-updated", uri)
    expect(notified).toMatchObject({ code: 0, stdout: `Notified 1 session subscribed to ${uri}\n` })
    // The session's stream, opened now (an idle client's stream is short): the update waits in its outbox.
    const stream = await fetch(`${server.url}/mcp`, { headers: { accept: "text/event-stream", "mcp-session-id": sessionId } })
    const events = readSse(stream)
    const isUpdate = (data: string) => data.includes("notifications/resources/updated")
    await events.until((seen) => seen.some((event) => isUpdate(event.data)))
    await events.cancel()
    expect(JSON.parse(events.events.find((event) => isUpdate(event.data))!.data)).toEqual({
      jsonrpc: "2.0",
      method: "notifications/resources/updated",
      params: { uri }
    })
    const asJson = await cli("notify-updated", "file:///nobody.txt", "--json")
    expect(asJson.code).toBe(0)
    expect(JSON.parse(asJson.stdout)).toEqual({ uri: "file:///nobody.txt", notified: 0 })

    const relative = await cli("notify-updated", "notes.txt")
    expect(relative.code).not.toBe(0)
    expect(relative.stderr).toMatch(/Error: 400: /)
    expect(relative.stderr).toMatch(/uri: must be an absolute URI/)
    const mine = recorder.recorded.slice(before)
    expect(mine.map((request) => `${request.method} ${request.path}`)).toEqual(
      Array(3).fill("POST /resources/updated")
    )
    expect(mine.filter((request) => !request.valid)).toEqual([])
  }, 60_000)

  it("the recorder rejects a request signed with other credentials or changed after signing", async () => {
    const url = new URL(`${recorder.url}/register`)
    const other = makeSigner({ region: "us-east-1", credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: "wrong" } })
    await signedFetch(other, url)
    expect(recorder.recorded.at(-1)).toMatchObject({ valid: false, reason: "signature mismatch" })
    const signer = makeSigner({ region: "us-east-1", credentials: TEST_CREDENTIALS })
    const signed = await signer.sign(toHttpRequest(url, "POST", { "content-type": "application/json" }, "{\"a\":1}"))
    const headers = Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), String(value)]))
    expect(await verify(url, "POST", headers, "{\"a\":1}")).toEqual({ valid: true, reason: "" })
    expect(await verify(url, "POST", headers, "{\"a\":2}")).toMatchObject({ valid: false })
  }, 30_000)
})
