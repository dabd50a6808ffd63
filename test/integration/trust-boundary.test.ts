/**
 * Issue 12, least authority and clean errors: each attack a reviewer tried, refused.
 * - the Registration API accepts only functions the MCP role may invoke (one setting);
 * - registrations record their principals, owner-only changes, audit lines;
 * - invocation failures reach clients as fixed sentences with a correlation id;
 * - malformed percent-encoding and very deep JSON are 400s;
 * - the dev server checks Origin and Host on every route, and refuses non-local functions
 *   unless `--allow-aws`.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { request as httpRequest } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HttpApp, HttpServer, HttpServerResponse } from "@effect/platform"
import { Cause, Context, Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { engine } from "../../src/hosts/Core.js"
import { devServer } from "../../src/hosts/Node.js"
import { jsonDepth, MAX_JSON_DEPTH } from "../../src/http/Body.js"
import { Caller } from "../../src/http/HostContext.js"
import * as RegistrationApi from "../../src/http/RegistrationApi.js"
import { route } from "../../src/http/Routes.js"
import * as LambdaInvoker from "../../src/layers/LambdaInvoker.js"
import { layerMemory as registryMemory } from "../../src/layers/MemoryRegistry.js"
import * as Subscriptions from "../../src/mcp/Subscriptions.js"
import { RegistrationPolicy, fromPatterns } from "../../src/services/RegistrationPolicy.js"
import { ToolInvoker } from "../../src/services/ToolInvoker.js"
import { arn, toolSpec } from "../support/fixtures.js"
import { result, seeded, sessionStores } from "../support/engine.js"
import { type Json, readJson } from "../support/json.js"
import { EXAMPLE_FUNCTIONS, EXAMPLE_SEED, webHandler } from "../support/servers.js"

const ALLOWLIST = ["arn:aws:lambda:us-east-1:123456789012:function:mcp-tool-*"]
const ALICE = "arn:aws:iam::123456789012:user/alice"
const MALLORY = "arn:aws:iam::123456789012:user/mallory"

/** Every log entry's message, flattened (an entry logged with several parts is an array). */
const capture = () => {
  const messages: Array<unknown> = []
  const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => {
    messages.push(...(Array.isArray(message) ? message : [message]))
  }))
  return { messages, logger }
}

const auditLines = (messages: ReadonlyArray<unknown>) =>
  messages.filter((message): message is Json => typeof message === "object" && message !== null && "audit" in message)

/** The Registration API alone, over memory stores, with a policy and a log capture; each request from `principal`. */
const registrationApp = (ownerOnly = false) => {
  const { logger, messages } = capture()
  const layer = Layer.mergeAll(
    Layer.provideMerge(Subscriptions.layer, Layer.merge(registryMemory, sessionStores)),
    Layer.succeed(RegistrationPolicy, fromPatterns(ALLOWLIST, ownerOnly)),
    logger
  )
  // The caller comes with each request (as the Function URL adapter provides it), not from the layer.
  const app = RegistrationApi.make() as HttpApp.Default<never, Exclude<RegistrationApi.RegistrationApiServices, Caller>>
  const { dispose, handler } = HttpApp.toWebHandlerLayer(app, layer)
  const send = (method: string, path: string, principal: string, body?: unknown) =>
    handler(
      new Request(`http://local${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      }),
      Context.make(Caller, { principal }) as Context.Context<never>
    )
  return { dispose, send, messages }
}

const tool = (name: string, functionName = `mcp-tool-${name}`) => ({
  type: "tool",
  name,
  description: `The ${name} tool`,
  lambdaArn: arn(functionName),
  inputSchema: { type: "object" }
})

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

describe("Least authority: the Registration API", () => {
  it("refuses a function outside TOOL_FUNCTION_ARNS with a 400 naming the rule, on POST and on PUT", async () => {
    const app = registrationApp()
    cleanups.push(app.dispose)
    // The confused deputy: the registration function itself, or any function in the account.
    const refused = await app.send("POST", "/register", MALLORY, tool("steal", "mcp-lambda-sam-default-registration"))
    expect(refused.status).toBe(400)
    const problem = await readJson(refused)
    expect(problem).toMatchObject({ error: "FunctionNotAllowed", problems: [{ path: "lambdaArn" }] })
    expect(problem.problems[0].message).toContain("mcp-tool-*")
    expect((await app.send("GET", "/register", MALLORY).then(readJson)).items).toEqual([])

    expect((await app.send("POST", "/register", ALICE, tool("weather"))).status).toBe(201)
    const moved = await app.send("PUT", "/register/tool-weather", MALLORY, tool("weather", "billing"))
    expect(moved.status).toBe(400)
    expect((await app.send("GET", "/register/tool-weather", ALICE).then(readJson)).lambdaArn).toBe(arn("mcp-tool-weather"))
    expect(auditLines(app.messages).filter((line) => line.audit === "registration.refused")).toHaveLength(2)
  })

  it("records createdBy and updatedBy, and writes an audit line naming the principal for every change", async () => {
    const app = registrationApp()
    cleanups.push(app.dispose)
    expect(await app.send("POST", "/register", ALICE, tool("weather")).then(readJson)).toMatchObject({ createdBy: ALICE, updatedBy: ALICE })
    const updated = await app.send("PUT", "/register/tool-weather", MALLORY, { ...tool("weather"), description: "Changed" })
    expect(await readJson(updated)).toMatchObject({ version: 2, createdBy: ALICE, updatedBy: MALLORY })
    // A GET body sent back as it is: the server's fields are not the client's to set.
    const fetched = await app.send("GET", "/register/tool-weather", ALICE).then(readJson)
    const sentBack = await app.send("PUT", "/register/tool-weather", ALICE, { ...fetched, createdBy: MALLORY })
    expect(await readJson(sentBack)).toMatchObject({ version: 3, createdBy: ALICE, updatedBy: ALICE })
    expect((await app.send("DELETE", "/register/tool-weather", MALLORY)).status).toBe(204)
    expect(auditLines(app.messages).map(({ audit, principal }) => [audit, principal])).toEqual([
      ["registration.create", ALICE],
      ["registration.update", MALLORY],
      ["registration.update", ALICE],
      ["registration.delete", MALLORY]
    ])
  })

  it("with owner-only updates, another principal's PUT and DELETE are 403 and change nothing", async () => {
    const app = registrationApp(true)
    cleanups.push(app.dispose)
    await app.send("POST", "/register", ALICE, tool("weather"))
    const put = await app.send("PUT", "/register/tool-weather", MALLORY, { ...tool("weather"), description: "Mine" })
    expect(put.status).toBe(403)
    expect(await readJson(put)).toMatchObject({ error: "Forbidden" })
    expect((await app.send("DELETE", "/register/tool-weather", MALLORY)).status).toBe(403)
    expect(auditLines(app.messages).filter((line) => line.audit === "registration.refused")).toEqual([
      expect.objectContaining({ principal: MALLORY, id: "tool-weather", reason: "owner-only" }),
      expect.objectContaining({ principal: MALLORY, id: "tool-weather", reason: "owner-only" })
    ])
    expect(await app.send("GET", "/register/tool-weather", ALICE).then(readJson)).toMatchObject({ version: 1, description: "The weather tool" })
    expect((await app.send("PUT", "/register/tool-weather", ALICE, { ...tool("weather"), description: "Forecasts" })).status).toBe(200)
    expect((await app.send("DELETE", "/register/tool-weather", ALICE)).status).toBe(204)
  })
})

describe("Clean errors: invocation failures", () => {
  const secret = "User: arn:aws:sts::123456789012:assumed-role/mcp-role/session is not authorized to perform: lambda:InvokeFunction"
  const failing = (name: string, message: string) =>
    ({
      send: () => Promise.reject(Object.assign(new Error(message), { name }))
    }) as unknown as LambdaInvoker.LambdaSend

  const callWith = (client: LambdaInvoker.LambdaSend) => {
    const { logger, messages } = capture()
    const layer = Layer.provideMerge(
      engine(),
      Layer.mergeAll(
        Layer.provideMerge(seeded([toolSpec("weather")]), registryMemory),
        Layer.succeed(ToolInvoker, LambdaInvoker.make(client, { attempts: 1 })),
        sessionStores
      )
    )
    return Effect.runPromise(
      result("tools/call", { name: "weather", arguments: {} }, { protocolVersion: "2025-11-25", principal: ALICE }).pipe(
        Effect.provide(Layer.merge(layer, logger)),
        Effect.map((answer) => ({ text: String(answer["content"][0].text), isError: answer["isError"], messages }))
      )
    )
  }

  it.each([
    ["AccessDeniedException", secret, "this server may not invoke its function"],
    ["ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:weather", "its function was not found"],
    ["TooManyRequestsException", "Rate exceeded for arn:aws:iam::123456789012:role/x", "is throttled"],
    ["Error", "Region is missing", "its function could not be invoked"]
  ])("%s reaches the client as a fixed sentence with a correlation id; the cause only in the log", async (name, message, sentence) => {
    const { isError, messages, text } = await callWith(failing(name, message))
    expect(isError).toBe(true)
    expect(text).toContain(sentence)
    expect(text).not.toContain("arn:")
    expect(text).not.toContain("Region is missing")
    const id = /correlation id ([0-9a-f-]{36})/.exec(text)?.[1]
    expect(id).toBeDefined()
    const logged = messages.find((entry): entry is Json => typeof entry === "object" && entry !== null && (entry as Json).correlationId === id)
    expect(logged?.functionName).toBe("weather")
    const cause = { ResourceNotFoundException: "FunctionNotFound", TooManyRequestsException: "InvocationThrottled" }[name] ?? message
    expect(JSON.stringify(messages)).toContain(cause)
  })

  it("every tool call writes an audit line naming the principal", async () => {
    const { messages } = await callWith(failing("Error", "down"))
    expect(auditLines(messages)).toEqual([
      expect.objectContaining({ audit: "function.invoke", principal: ALICE, method: "tools/call", registration: "tool-weather", lambdaArn: arn("weather") })
    ])
  })
})

describe("Clean errors: malformed requests", () => {
  it("GET /register/%E0%A4%A is a 400 with a reason, and the cause is logged", async () => {
    const app = webHandler()
    cleanups.push(app.dispose)
    const response = await app.fetch(new Request("http://local/register/%E0%A4%A"))
    expect(response.status).toBe(400)
    expect(await readJson(response)).toMatchObject({ error: "BadRequest", message: expect.stringContaining("percent-encoding") })

    const causes: Array<string> = []
    const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ cause }) => {
      causes.push(Cause.pretty(cause))
    }))
    const routes = route([{ path: "/register/:id", methods: { GET: ({ id = "" }) => Effect.succeed(HttpServerResponse.text(id)) } }])
    const { dispose, handler } = HttpApp.toWebHandlerLayer(routes, logger)
    cleanups.push(dispose)
    expect((await handler(new Request("http://local/register/%E0%A4%A"))).status).toBe(400)
    expect(causes.join("\n")).toContain("URIError")
  })

  it("a defect in a handler is logged with its cause and answered with a 500 problem", async () => {
    const causes: Array<string> = []
    const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ cause }) => {
      causes.push(Cause.pretty(cause))
    }))
    const routes = route([{ path: "/boom", methods: { GET: () => Effect.die(new RangeError("Maximum call stack size exceeded")) } }])
    const { dispose, handler } = HttpApp.toWebHandlerLayer(routes, logger)
    cleanups.push(dispose)
    const response = await handler(new Request("http://local/boom"))
    expect(response.status).toBe(500)
    expect(await readJson(response)).toMatchObject({ error: "InternalServerError" })
    expect(causes.join("\n")).toContain("Maximum call stack size exceeded")
  })

  it("a 200,000-deep value is a 400 with a reason, on both APIs, before anything walks it", async () => {
    const app = webHandler()
    cleanups.push(app.dispose)
    const deep = "[".repeat(200_000) + "]".repeat(200_000)
    const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","clientInfo":{"name":"x","version":"1"},"capabilities":{"x":${deep}}}}`
    const mcp = await app.fetch(new Request("http://local/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: initialize
    }))
    expect(mcp.status).toBe(400)
    expect(await readJson(mcp)).toMatchObject({ error: "TooDeep" })
    const registration = await app.fetch(new Request("http://local/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(tool("deep")).replace("\"inputSchema\"", `"capabilities":${deep},"inputSchema"`)
    }))
    expect(registration.status).toBe(400)
    expect(await readJson(registration)).toMatchObject({ error: "TooDeep", message: expect.stringContaining(String(MAX_JSON_DEPTH)) })
  })

  it("counts depth without parsing, and ignores brackets inside strings", () => {
    expect(jsonDepth("{\"a\":[1,{\"b\":2}]}")).toBe(3)
    expect(jsonDepth("\"[[[[\\\"[[\"")).toBe(0)
    expect(jsonDepth("[".repeat(101) + "]".repeat(101))).toBe(101)
  })
})

describe("The dev server", () => {
  const start = async (options: { allowAws?: boolean; functionsDir?: string; seedFile?: string; functionMemoryMb?: number } = {}) => {
    const runtime = ManagedRuntime.make(
      devServer({
        port: 0,
        host: "127.0.0.1",
        functionsDir: EXAMPLE_FUNCTIONS,
        seedFile: EXAMPLE_SEED,
        banner: false,
        ...options
      }).pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))
    )
    cleanups.push(() => runtime.dispose())
    const port = await runtime.runPromise(HttpServer.addressWith((address) =>
      Effect.succeed(address._tag === "TcpAddress" ? address.port : 0)))
    return `http://127.0.0.1:${port}`
  }

  /** node:http, so the Host header can be what a rebound name would send. */
  const raw = (url: string, method: string, headers: Record<string, string>, body?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(url, { method, headers }, (response) => {
        let text = ""
        response.on("data", (chunk: Buffer) => (text += chunk.toString()))
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }))
      })
      request.on("error", reject)
      request.end(body)
    })

  it("refuses a foreign Origin and a rebound Host on /register, as on /mcp: nothing is created or deleted", async () => {
    const url = await start()
    const body = JSON.stringify(tool("weather2", "weather"))
    const json = { "content-type": "application/json" }
    const fromEvil = await raw(`${url}/register`, "POST", { ...json, origin: "http://evil.example" }, body)
    expect(fromEvil.status).toBe(403)
    const rebound = await raw(`${url}/register`, "POST", { ...json, host: "evil.example:3000" }, body)
    expect(rebound.status).toBe(403)
    expect((await raw(`${url}/register/tool-weather`, "DELETE", { origin: "http://evil.example" })).status).toBe(403)
    expect((await raw(`${url}/health`, "GET", { host: "evil.example" })).status).toBe(403)
    const list = JSON.parse((await raw(`${url}/register?type=tool`, "GET", {})).body) as Json
    expect(list.items.map((item: Json) => item.name)).toContain("weather")
    expect(list.items.map((item: Json) => item.name)).not.toContain("weather2")
    // Same-machine callers still pass.
    expect((await raw(`${url}/register`, "POST", { ...json, origin: "http://localhost:5173", host: "localhost:1234" }, body)).status).toBe(201)
  })

  it("refuses a function that is not local unless started with --allow-aws", async () => {
    const body = JSON.stringify(tool("remote", "mcp-tool-remote"))
    const json = { "content-type": "application/json" }
    const local = await start()
    const refused = await raw(`${local}/register`, "POST", json, body)
    expect(refused.status).toBe(400)
    expect(refused.body).toContain("--allow-aws")
    expect((await raw(`${local}/register`, "POST", json, JSON.stringify(tool("weather2", "weather")))).status).toBe(201)
    const aws = await start({ allowAws: true })
    expect((await raw(`${aws}/register`, "POST", json, body)).status).toBe(201)
  })

  it("a function that exhausts its memory (--function-memory) fails its own call; the server and the other functions go on", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dev-functions-"))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    await mkdir(join(dir, "functions"))
    await writeFile(join(dir, "functions", "hog.mjs"), "export const handler = async () => { const kept = []; for (;;) kept.push(`${kept.length}`.repeat(100)) }")
    await writeFile(join(dir, "functions", "echo.mjs"), "export const handler = async (event) => ({ content: [{ type: 'text', text: JSON.stringify(event.args) }] })")
    await writeFile(join(dir, "registrations.json"), JSON.stringify([
      { type: "tool", name: "hog", description: "Takes all it can", lambdaArn: arn("hog"), parameters: {} },
      { type: "tool", name: "echo", description: "Says it back", lambdaArn: arn("echo"), parameters: { word: "string" } }
    ]))
    const url = await start({ functionsDir: join(dir, "functions"), seedFile: join(dir, "registrations.json"), functionMemoryMb: 32 })
    const call = (name: string, args: Record<string, unknown>) =>
      raw(`${url}/mcp`, "POST", {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": name
      }, JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: {
          name,
          arguments: args,
          _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "test", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} }
        }
      }))
    const [hog, health] = await Promise.all([call("hog", {}), new Promise((resolve) => setTimeout(resolve, 50)).then(() => raw(`${url}/health`, "GET", {}))])
    expect(health.status).toBe(200)
    expect(hog.status).toBe(200)
    const result = (JSON.parse(hog.body) as Json).result
    expect(result.isError).toBe(true)
    expect(result.content[0].text).toContain("ran out of its 32 MB of memory")
    const echo = JSON.parse((await call("echo", { word: "still here" })).body) as Json
    expect(echo.result.content[0].text).toBe("{\"word\":\"still here\"}")
  })
})
