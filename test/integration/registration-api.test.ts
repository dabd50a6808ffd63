/** Every status code of the Registration API, over raw HTTP requests. */
import { HttpApp } from "@effect/platform"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { StoreError } from "../../src/domain/errors.js"
import * as RegistrationApi from "../../src/http/RegistrationApi.js"
import { layerMemory as registryMemory } from "../../src/layers/MemoryRegistry.js"
import { layerMemory as sessionsMemory } from "../../src/layers/MemorySessionStore.js"
import * as Subscriptions from "../../src/mcp/Subscriptions.js"
import { RegistrationPolicy } from "../../src/services/RegistrationPolicy.js"
import { SubscriptionStore } from "../../src/services/SubscriptionStore.js"
import { Caller } from "../../src/http/HostContext.js"
import { type Json, readJson } from "../support/json.js"
import { webHandler } from "../support/servers.js"
import { readSse } from "../support/sse.js"

let app: ReturnType<typeof webHandler>
beforeEach(() => {
  app = webHandler()
})
afterEach(async () => {
  await app.dispose()
})

const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  app.fetch(
    new Request(`http://local${path}`, {
      method,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
    })
  )

/** The original API's request body. */
const original = {
  type: "tool",
  name: "translate",
  description: "Translate text",
  lambdaArn: "arn:aws:lambda:eu-west-1:123456789012:function:translate",
  parameters: { text: "string", to: { type: "string", optional: true } }
}

describe("Registration API", () => {
  it("POST creates (201, Location, ETag) and a second POST of the same id is 409", async () => {
    const created = await send("POST", "/register", original)
    expect(created.status).toBe(201)
    expect(created.headers.get("location")).toBe("/register/tool-translate")
    expect(created.headers.get("etag")).toBe("\"1\"")
    const body = await readJson(created)
    expect(body).toMatchObject({
      id: "tool-translate",
      version: 1,
      inputSchema: { type: "object", properties: { text: { type: "string" }, to: { type: "string" } }, required: ["text"] }
    })
    const again = await send("POST", "/register", original)
    expect(again.status).toBe(409)
    expect(await readJson(again)).toMatchObject({ error: "Conflict" })
  })

  it("POST with an invalid body is 400 with each problem's path and message", async () => {
    const response = await send("POST", "/register", { type: "tool", name: "bad name", lambdaArn: "arn:aws:s3:::bucket" })
    expect(response.status).toBe(400)
    const body = await readJson(response)
    expect(body.error).toBe("InvalidRegistration")
    expect(body.problems).toEqual(
      expect.arrayContaining([
        { path: "name", message: expect.stringContaining("1–64 characters") },
        { path: "description", message: "is required" },
        { path: "lambdaArn", message: expect.stringContaining("Lambda function ARN") }
      ])
    )
  })

  it("POST that is not JSON is 415; malformed JSON is 400; over 1 MB is 413", async () => {
    const text = await app.fetch(
      new Request("http://local/register", { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" })
    )
    expect(text.status).toBe(415)
    const malformed = await send("POST", "/register", "{\"type\": ")
    expect(malformed.status).toBe(400)
    expect(await readJson(malformed)).toMatchObject({ error: "InvalidJson" })
    const large = await send("POST", "/register", { ...original, description: "x".repeat(1024 * 1024) })
    expect(large.status).toBe(413)
    // Under the body limit but over what one stored item holds: 413 as well, with the reason.
    const item = await send("POST", "/register", { ...original, description: "x".repeat(400_000) })
    expect(item.status).toBe(413)
    expect((await readJson(item)).message).toMatch(/limit is 350000/)
  })

  it("GET lists in a stable order with cursor pagination; bad cursors and limits are 400", async () => {
    const ids: Array<string> = []
    let cursor: string | undefined
    do {
      const response = await send("GET", `/register?limit=2${cursor === undefined ? "" : `&cursor=${encodeURIComponent(cursor)}`}`)
      expect(response.status).toBe(200)
      const page = await readJson(response)
      expect(page.items.length).toBeLessThanOrEqual(2)
      ids.push(...page.items.map((item: { id: string }) => item.id))
      cursor = page.nextCursor
    } while (cursor !== undefined)
    expect(ids).toEqual([
      "prompt-code-review",
      "prompt-trip-plan",
      "resource-notes",
      "tool-countdown",
      "tool-inventory",
      "tool-onboarding",
      "tool-statistics",
      "tool-summarize",
      "tool-touch-note",
      "tool-weather"
    ])
    const tools = await readJson(await send("GET", "/register?type=tool"))
    expect(tools.items).toHaveLength(7)
    expect((await send("GET", "/register?cursor=nonsense")).status).toBe(400)
    expect((await send("GET", "/register?limit=0")).status).toBe(400)
    expect((await send("GET", "/register?type=agent")).status).toBe(400)
  })

  it("GET /register/{id} is 200 with an ETag, or 404", async () => {
    const found = await send("GET", "/register/tool-weather")
    expect(found.status).toBe(200)
    expect(found.headers.get("etag")).toBe("\"1\"")
    expect(await readJson(found)).toMatchObject({ id: "tool-weather", type: "tool", name: "weather" })
    expect((await send("GET", "/register/tool-nothing")).status).toBe(404)
    expect((await send("GET", "/register/not-an-id")).status).toBe(404)
  })

  it("PUT replaces (200) and honours If-Match or the body's version (412)", async () => {
    await send("POST", "/register", original)
    const updated = await send("PUT", "/register/tool-translate", { ...original, description: "Translate, v2" })
    expect(updated.status).toBe(200)
    expect(await readJson(updated)).toMatchObject({ version: 2, description: "Translate, v2" })
    const stale = await send("PUT", "/register/tool-translate", original, { "if-match": "\"1\"" })
    expect(stale.status).toBe(412)
    const staleBody = await send("PUT", "/register/tool-translate", { ...original, version: 1 })
    expect(staleBody.status).toBe(412)
    // A GET body sent back as it is (with id, version and timestamps) is a valid PUT.
    const current = await readJson(await send("GET", "/register/tool-translate"))
    const roundTrip = await send("PUT", "/register/tool-translate", { ...current, description: "v3" })
    expect(roundTrip.status).toBe(200)
    expect(await readJson(roundTrip)).toMatchObject({ version: 3, description: "v3" })
    expect((await readJson(await send("GET", "/register/tool-translate"))).description).toBe("v3")
  })

  it("PUT whose body names another registration is 400; PUT of a missing one is 404", async () => {
    await send("POST", "/register", original)
    const other = await send("PUT", "/register/tool-translate", { ...original, name: "summarise" })
    expect(other.status).toBe(400)
    expect(await readJson(other)).toMatchObject({ error: "IdMismatch" })
    const otherType = await send("PUT", "/register/tool-translate", { ...original, type: "prompt" })
    expect(otherType.status).toBe(400)
    expect((await send("PUT", "/register/tool-ghost", { ...original, name: "ghost" })).status).toBe(404)
    expect((await send("PUT", "/register/tool-translate", original, { "if-match": "banana" })).status).toBe(400)
  })

  it("DELETE is 204, then 404; a stale If-Match is 412 and keeps the registration", async () => {
    await send("POST", "/register", original)
    expect((await send("DELETE", "/register/tool-translate", undefined, { "if-match": "\"9\"" })).status).toBe(412)
    expect((await send("GET", "/register/tool-translate")).status).toBe(200)
    expect((await send("DELETE", "/register/tool-translate")).status).toBe(204)
    expect((await send("DELETE", "/register/tool-translate")).status).toBe(404)
  })

  it("other methods are 405 with Allow", async () => {
    const patch = await send("PATCH", "/register/tool-weather", {})
    expect(patch.status).toBe(405)
    expect(patch.headers.get("allow")).toBe("GET, PUT, DELETE, OPTIONS")
    const put = await send("PUT", "/register", {})
    expect(put.status).toBe(405)
    expect(put.headers.get("allow")).toBe("POST, GET, OPTIONS")
  })
})

describe("POST /resources/updated", () => {
  const NOTES = "file:///notes.txt"

  /** An MCP session on the same app (initialize, then notifications/initialized). */
  const mcp = (body: unknown, sessionId?: string) =>
    app.fetch(
      new Request("http://local/mcp", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...(sessionId === undefined ? {} : { "mcp-session-id": sessionId })
        },
        body: JSON.stringify(body)
      })
    )
  const openSession = async () => {
    const initialized = await mcp({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
    })
    expect(initialized.status).toBe(200)
    const sessionId = initialized.headers.get("mcp-session-id")!
    expect((await mcp({ jsonrpc: "2.0", method: "notifications/initialized" }, sessionId)).status).toBe(202)
    return sessionId
  }
  const subscribe = async (sessionId: string, uri: string) => {
    const answer = await mcp({ jsonrpc: "2.0", id: 1, method: "resources/subscribe", params: { uri } }, sessionId)
    expect(answer.status).toBe(200)
    expect(await readJson(answer)).toEqual({ jsonrpc: "2.0", id: 1, result: {} })
  }
  const updated = (body: unknown) => send("POST", "/resources/updated", body)

  it("tells every subscribed session, on its GET /mcp stream, and answers how many", async () => {
    const alice = await openSession()
    const bob = await openSession()
    const other = await openSession()
    await subscribe(alice, NOTES)
    await subscribe(bob, NOTES)
    await subscribe(other, "file:///other.txt")
    const stream = await app.fetch(new Request("http://local/mcp", { headers: { accept: "text/event-stream", "mcp-session-id": alice } }))
    expect(stream.status).toBe(200)
    const events = readSse(stream)

    const response = await updated({ uri: NOTES })
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^application\/json/)
    expect(await readJson(response)).toEqual({ uri: NOTES, notified: 2 })

    const isUpdate = (data: string) => data !== "" && (JSON.parse(data) as Json).method === "notifications/resources/updated"
    await events.until((seen) => seen.some((event) => isUpdate(event.data)))
    await events.cancel()
    expect(events.events.filter((event) => isUpdate(event.data)).map((event) => JSON.parse(event.data))).toEqual([
      { jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: NOTES } }
    ])
    // Nobody listens to this one.
    expect(await readJson(await updated({ uri: "file:///nobody.txt" }))).toEqual({ uri: "file:///nobody.txt", notified: 0 })
  })

  it("an unsubscribed or ended session is not told", async () => {
    const alice = await openSession()
    const bob = await openSession()
    await subscribe(alice, NOTES)
    await subscribe(bob, NOTES)
    const unsubscribed = await mcp({ jsonrpc: "2.0", id: 2, method: "resources/unsubscribe", params: { uri: NOTES } }, alice)
    expect(unsubscribed.status).toBe(200)
    const ended = await app.fetch(new Request("http://local/mcp", { method: "DELETE", headers: { "mcp-session-id": bob } }))
    expect(ended.status).toBeLessThan(300)
    expect(await readJson(await updated({ uri: NOTES }))).toEqual({ uri: NOTES, notified: 0 })
  })

  it("a missing, relative or non-string uri is 400 with the problem; a body that is not JSON is 400 or 415", async () => {
    const problemsOf = async (body: unknown) => {
      const response = await updated(body)
      expect(response.status).toBe(400)
      const problem = await readJson(response)
      expect(problem).toMatchObject({ error: "InvalidUri", message: "The body must be {\"uri\": \"<absolute URI>\"}" })
      return problem.problems
    }
    expect(await problemsOf({})).toEqual([{ path: "uri", message: "is required" }])
    expect(await problemsOf({ url: NOTES })).toEqual([{ path: "uri", message: "is required" }])
    expect(await problemsOf({ uri: "notes.txt" })).toEqual([{ path: "uri", message: "must be an absolute URI such as file:///notes.txt" }])
    expect(await problemsOf({ uri: "file:///my notes.txt" })).toEqual([
      { path: "uri", message: "must be an absolute URI such as file:///notes.txt" }
    ])
    expect(await problemsOf({ uri: 42 })).toEqual([{ path: "uri", message: expect.stringContaining("Expected string") }])
    expect(await problemsOf([NOTES])).toEqual([{ path: "", message: "must be a JSON object" }])
    expect(await problemsOf(JSON.stringify(NOTES))).toEqual([{ path: "", message: "must be a JSON object" }])
    const malformed = await updated("{\"uri\": ")
    expect(malformed.status).toBe(400)
    expect(await readJson(malformed)).toMatchObject({ error: "InvalidJson" })
    const text = await app.fetch(
      new Request("http://local/resources/updated", { method: "POST", headers: { "content-type": "text/plain" }, body: NOTES })
    )
    expect(text.status).toBe(415)
  })

  it("other methods are 405 with Allow; the trailing slash is the same route", async () => {
    const get = await send("GET", "/resources/updated")
    expect(get.status).toBe(405)
    expect(get.headers.get("allow")).toBe("POST, OPTIONS")
    expect((await send("PUT", "/resources/updated", { uri: NOTES })).status).toBe(405)
    expect(await readJson(await send("POST", "/resources/updated/", { uri: NOTES }))).toEqual({ uri: NOTES, notified: 0 })
  })

  it("a store failure is 503 with Retry-After", async () => {
    const failing = Layer.succeed(SubscriptionStore, {
      add: () => Effect.void,
      remove: () => Effect.void,
      sessionsOf: () => Effect.fail(new StoreError({ operation: "SubscriptionStore.sessionsOf", cause: new Error("down") }))
    })
    const layer = Layer.mergeAll(
      registryMemory,
      RegistrationPolicy.open,
      Caller.local,
      Subscriptions.layer.pipe(Layer.provide(Layer.merge(failing, sessionsMemory()))),
      // The router logs the store failure; keep it out of the test output.
      Logger.minimumLogLevel(LogLevel.None)
    )
    const { dispose, handler } = HttpApp.toWebHandlerLayer(RegistrationApi.make(), layer)
    try {
      const response = await handler(new Request("http://local/resources/updated", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ uri: NOTES })
      }))
      expect(response.status).toBe(503)
      expect(response.headers.get("retry-after")).toBe("1")
      expect(await readJson(response)).toMatchObject({ error: "ServiceUnavailable" })
    } finally {
      await dispose()
    }
  })
})
