/** The router renders handlers' typed errors, once: their own status and body; store outages as 503. */
import { HttpApp } from "@effect/platform"
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { StoreError } from "../../src/domain/errors.js"
import { HttpProblem, json, RpcHttpError } from "../../src/http/Errors.js"
import { route } from "../../src/http/Routes.js"

const app = route([
  {
    path: "/things/:id",
    methods: {
      GET: ({ id = "" }) =>
        id === "ok"
          ? Effect.succeed(json({ id }))
          : new HttpProblem({ status: 404, error: "NotFound", message: `No thing '${id}'`, headers: { "x-why": "missing" } }),
      PUT: () => new RpcHttpError({ status: 409, code: -32600, message: "Conflict" }),
      DELETE: () => new StoreError({ operation: "things.remove", cause: new Error("arn:aws:dynamodb:secret") })
    }
  }
])
const handler = HttpApp.toWebHandler(app)
const call = (method: string, path: string) => handler(new Request(`http://local${path}`, { method }))

describe("route", () => {
  it("renders a handler's typed error with its status, headers and body", async () => {
    const missing = await call("GET", "/things/nope")
    expect(missing.status).toBe(404)
    expect(missing.headers.get("x-why")).toBe("missing")
    expect(await missing.json()).toEqual({ error: "NotFound", message: "No thing 'nope'" })

    const conflict = await call("PUT", "/things/a")
    expect(conflict.status).toBe(409)
    expect(await conflict.json()).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "Conflict" } })

    expect((await call("GET", "/things/ok")).status).toBe(200)
  })

  it("answers a store failure 503 with Retry-After and no details", async () => {
    const response = await call("DELETE", "/things/a")
    expect(response.status).toBe(503)
    expect(response.headers.get("retry-after")).toBe("1")
    const text = await response.text()
    expect(text).not.toContain("arn:")
    expect(JSON.parse(text)).toMatchObject({ error: "ServiceUnavailable" })
  })

  it("404 for an unknown path, 405 with Allow for another method", async () => {
    expect((await call("GET", "/other")).status).toBe(404)
    const wrong = await call("POST", "/things/a")
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get("allow")).toBe("GET, PUT, DELETE, OPTIONS")
  })
})
