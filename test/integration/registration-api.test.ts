/** Every status code of the Registration API, over raw HTTP requests. */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { readJson } from "../support/json.js"
import { webHandler } from "../support/servers.js"

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
      "resource-notes",
      "tool-inventory",
      "tool-statistics",
      "tool-weather"
    ])
    const tools = await readJson(await send("GET", "/register?type=tool"))
    expect(tools.items).toHaveLength(3)
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
