/**
 * Property tests over the HTTP surface of both apps (issue 12, part 6). Random JSON-RPC
 * messages, headers, bodies, percent-encodings and registration documents, sent in-process
 * through the web handler, never get a 5xx, never hang (each request has `HANG_MS` for its
 * head and, unless it is a stream, its body; a timeout fails the property), always get a
 * well-formed JSON-RPC answer when they get one at all, and never change a registration they
 * may not change. Every run also checks that nothing was logged as a defect. Most requests are
 * right but for one or two things (`perturb`), so they get past the first checks.
 *
 * (1) POST /mcp, (1b) concurrent bursts on one session, (2) the other methods and routes with
 * sessions, queries and Last-Event-ID, (3) the Registration API, (4) 2026-07-28 requests,
 * (5) registered schemas and URI templates then called, (6) the dev server's Host and Origin guard.
 */
import { request as httpRequest } from "node:http"
import { FastCheck as fc, Layer, Logger, LogLevel } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { RateLimiter } from "../../src/services/RateLimiter.js"
import { fromPatterns, RegistrationPolicy } from "../../src/services/RegistrationPolicy.js"
import { type RunningServer, startDevServer, webHandler } from "../support/servers.js"

/** A request whose head (or, when it is not a stream, whose body) takes longer than this hangs. */
const HANG_MS = 5_000
/** How long a `GET` stream is read before it is let go (streams are long by design). */
const PEEK_MS = 150
/** How long a POST's SSE answer is read at most, waiting for its response. */
const POST_STREAM_MS = 1_500
/** `FUZZ_SCALE=10` runs each property ten times as long (a longer hunt, by hand). */
const SCALE = Number(process.env["FUZZ_SCALE"] ?? 1)
const RUNS = { mcp: 200 * SCALE, streams: 150 * SCALE, registration: 250 * SCALE, modern: 200 * SCALE, registered: 150 * SCALE, bursts: 60 * SCALE, guard: 150 * SCALE } as const
const TIMEOUT = 60_000 * SCALE
/**
 * One seed for every property of a run, written to stderr before any runs: fast-check reports
 * its seed on a failure, but not when the worker itself dies (a run once ended in an out-of-memory
 * crash, seed unknown). `FUZZ_SEED=<n>` replays a run.
 */
const SEED = process.env["FUZZ_SEED"] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env["FUZZ_SEED"])
/**
 * A property stops itself before vitest's timeout: vitest abandons a test that times out but
 * cannot stop it, so a property still running (shrinking a failure whose every try waits out
 * `HANG_MS`) would go on beside the next ones, its requests piling up. Stopped, it fails with the
 * counterexample found so far, its seed and path.
 */
fc.configureGlobal({ seed: SEED, interruptAfterTimeLimit: TIMEOUT - 10_000, markInterruptAsFailure: true })
process.stderr.write(`http-properties: FUZZ_SEED=${SEED}\n`)

const OWNER = "arn:aws:iam::111111111111:user/owner"
const OTHER = "arn:aws:iam::222222222222:user/other"
const BOTH = "application/json, text/event-stream"

type App = ReturnType<typeof webHandler>

// ---------------------------------------------------------------------------------------------
// Running requests: a hang is a failure, 5xx is a failure, a defect logged is a failure.

/** Every app's error-level log lines, for `FUZZ_STATS`. */
const LOGGED_ERRORS: Array<string> = []

/** Error-level log lines (defects, store failures) of the app under test, which stays quiet otherwise. */
const recordErrors = () => {
  const errors: Array<string> = []
  const logger = Logger.make(({ cause, logLevel, message }) => {
    if (LogLevel.greaterThanEqual(logLevel, LogLevel.Error)) {
      errors.push(`${String(message)} ${String(cause)}`)
      LOGGED_ERRORS.push(`${String(message)} ${String(cause)}`.slice(0, 500))
    }
  })
  // Typed as the rate limiter `webHandler` takes; the logger rides along.
  const layer: Layer.Layer<RateLimiter> = Layer.merge(RateLimiter.unlimited, Logger.replace(Logger.defaultLogger, logger))
  return { errors, layer }
}

const within = <A>(what: string, ms: number, promise: Promise<A>) =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hang: ${what} took over ${ms} ms`)), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      }
    )
  })

/** Reads an SSE body until `enough` says so, the stream ends, or `ms` pass; then lets it go. */
const readStream = async (response: Response, ms: number, enough: (text: string) => boolean = () => false) => {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const deadline = Date.now() + ms
  let text = ""
  while (!enough(text) && Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined
    const next = await Promise.race([
      reader.read(),
      new Promise<{ done: true; value: undefined }>((resolve) => {
        timer = setTimeout(() => resolve({ done: true, value: undefined }), Math.max(0, deadline - Date.now()))
      })
    ])
    clearTimeout(timer)
    if (next.done) break
    text += decoder.decode(next.value, { stream: true })
  }
  await within("cancelling a stream", HANG_MS, reader.cancel().catch(() => undefined))
  return text
}

/**
 * `FUZZ_STATS=1` prints how often each route answered each status and error (with an example):
 * whether the requests get past the first checks, and reach the methods, the functions and the store.
 */
const STATS = process.env["FUZZ_STATS"] ? new Map<string, { count: number; example: string }>() : undefined
const tally = (stats: Map<string, { count: number; example: string }>, init: { method: string; url: string; headers?: Record<string, string>; body?: string | Uint8Array | undefined }, principal: string | undefined, status: number, text: string) => {
  const error = (() => {
    try {
      const body = JSON.parse(text) as { error?: { code?: unknown } | string }
      return String(typeof body.error === "object" ? body.error.code : body.error ?? "")
    } catch {
      return ""
    }
  })()
  const key = `${init.method} ${init.url.split("?")[0]!.slice(0, 24)} ${status} ${error}`
  const body = typeof init.body === "string" ? init.body.slice(0, 300) : ""
  stats.set(key, { count: (stats.get(key)?.count ?? 0) + 1, example: `${body} ${JSON.stringify(init.headers)} ${principal} => ${text.slice(0, 300)}` })
}
afterAll(() => {
  if (STATS === undefined) return
  console.log(`Logged at error level:\n${LOGGED_ERRORS.join("\n")}`)
  console.log([...STATS].sort((a, b) => b[1].count - a[1].count).map(([key, { count, example }]) => `${count}\t${key}\n    ${example}`).join("\n"))
})

interface Exchange {
  readonly status: number
  readonly contentType: string
  readonly text: string
}

const describeRequest = (request: Request, body: string | Uint8Array | undefined, principal: string | undefined) =>
  JSON.stringify({
    method: request.method,
    url: request.url,
    headers: Object.fromEntries(request.headers),
    principal,
    body: typeof body === "string" ? body.slice(0, 2_000) : body === undefined ? undefined : `bytes ${Buffer.from(body).toString("hex").slice(0, 2_000)}`
  })

/** Sends one request: status < 500 within `HANG_MS`, and its body read (a stream: only its start). */
const exchange = async (
  app: App,
  errors: Array<string>,
  init: { method: string; url: string; headers?: Record<string, string>; body?: string | Uint8Array | undefined },
  principal: string | undefined,
  enoughOfStream: (text: string) => boolean = () => false
): Promise<Exchange> => {
  const request = new Request(`http://local${init.url}`, {
    method: init.method,
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body })
  })
  const what = describeRequest(request, init.body, principal)
  const logged = errors.length
  const response = await within(what, HANG_MS, app.fetch(request, principal))
  const contentType = response.headers.get("content-type") ?? ""
  const text = response.body === null
    ? ""
    : contentType.startsWith("text/event-stream")
    ? await readStream(response, init.method === "POST" ? POST_STREAM_MS : PEEK_MS, enoughOfStream)
    : await within(`${what} (body)`, HANG_MS, response.text())
  if (STATS !== undefined) tally(STATS, init, principal, response.status, text)
  if (response.status >= 500) throw new Error(`${response.status} for ${what}: ${text.slice(0, 1_000)}`)
  const defects = errors.slice(logged).filter((line) => /defect|unexpected/i.test(line))
  if (defects.length > 0) throw new Error(`logged ${defects.join("; ")} for ${what}`)
  return { status: response.status, contentType, text }
}

// ---------------------------------------------------------------------------------------------
// JSON-RPC answers.

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Why `message` is not a JSON-RPC 2.0 message a server may send, or undefined. */
const malformed = (message: unknown): string | undefined => {
  if (!isObject(message)) return "not an object"
  if (message["jsonrpc"] !== "2.0") return "jsonrpc is not \"2.0\""
  if (typeof message["method"] === "string") return undefined // a request or notification to the client
  const id = message["id"]
  if (!(id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id)))) return "bad id"
  const hasResult = "result" in message
  const error = message["error"]
  if (hasResult === (error !== undefined)) return "not exactly one of result and error"
  if (error !== undefined) {
    if (!isObject(error)) return "error is not an object"
    if (!Number.isInteger(error["code"])) return "error.code is not an integer"
    if (typeof error["message"] !== "string") return "error.message is not a string"
  }
  return undefined
}

/** The JSON-RPC messages of an answer: a JSON body (one or a batch) or the complete events of an SSE stream. */
const messagesOf = (answer: Exchange): Array<unknown> => {
  if (answer.text === "") return []
  if (answer.contentType.startsWith("application/json")) {
    const body: unknown = JSON.parse(answer.text)
    if (Array.isArray(body)) return body
    return isObject(body) && "jsonrpc" in body ? [body] : []
  }
  if (answer.contentType.startsWith("text/event-stream")) {
    // Only events the stream finished (it may have been let go mid-event).
    const blocks = answer.text.split("\n\n").slice(0, -1)
    return blocks.flatMap((block) => {
      const data = block.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).replace(/^ /, ""))
      if (data.length === 0 || data.join("") === "") return []
      const event = block.split("\n").find((line) => line.startsWith("event:"))?.slice(6).trim()
      // Legacy SSE's `endpoint` event carries a path, not JSON.
      return event === "endpoint" ? [] : [JSON.parse(data.join("\n"))]
    })
  }
  return []
}

/** The id a single JSON-RPC request carries, when it is one the answer must echo. */
const requestId = (body: unknown): string | number | undefined => {
  if (!isObject(body) || body["jsonrpc"] !== "2.0" || typeof body["method"] !== "string") return undefined
  const id = body["id"]
  return typeof id === "string" || (typeof id === "number" && Number.isSafeInteger(id)) ? id : undefined
}

const expectWellFormed = (answer: Exchange, sent: unknown, context: string) => {
  const messages = messagesOf(answer)
  for (const message of messages) {
    const why = malformed(message)
    if (why !== undefined) throw new Error(`malformed answer (${why}): ${JSON.stringify(message).slice(0, 500)} to ${context}`)
  }
  // As the server reads it (`-0` is `0`).
  const id = requestId(sent === undefined ? undefined : JSON.parse(JSON.stringify(sent)))
  if (answer.status === 200 && id !== undefined && answer.contentType.startsWith("application/json")) {
    const response = messages.find((message) => isObject(message) && !("method" in message))
    expect(response, `a response to ${context}`).toBeDefined()
    expect((response as Record<string, unknown>)["id"], `the id echoed to ${context}`).toEqual(id)
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries.

/** Keys that trip code which treats objects as maps. */
const trickyKey = fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "", " ", "$ref")
const key = fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: trickyKey })

/** Strings with lone surrogates, control characters and non-BMP characters (JSON.stringify escapes what it must). */
const anyString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "null", "\u0000", "\ud800", "%", "%00", "../..", "a".repeat(9_000)) }
)

/** Any JSON value, its objects built with own `__proto__`-style keys too. */
const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308),
    // Objects that `String` and template literals cannot print.
    fc.constantFrom({ toString: null }, { toString: 1, valueOf: null }, { valueOf: {}, toString: {} }),
    fc.integer(),
    anyString,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.array(fc.tuple(key, tie("value")), { maxLength: 4 }).map((entries) => Object.fromEntries(entries))
  )
})).value

const objectOf = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(fields, { requiredKeys: [] }).chain((known) =>
    fc.array(fc.tuple(key, json), { maxLength: 2 }).map((extra) => ({ ...Object.fromEntries(extra), ...known }))
  )

/** Nested `depth` levels: arrays or objects. */
const nested = (depth: number, leaf: unknown, asObject: boolean): unknown => {
  let value = leaf
  for (let level = 0; level < depth; level++) value = asObject ? { a: value } : [value]
  return value
}
const deep = fc.tuple(fc.integer({ min: 20, max: 3_000 }), fc.boolean()).map(([depth, asObject]) => nested(depth, "x", asObject))

const TOOLS = ["weather", "statistics", "inventory", "countdown", "touch-note", "onboarding", "summarize"]
const PROMPTS = ["code-review", "trip-plan"]
const METHODS = [
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
  "server/discover",
  "subscriptions/listen",
  "tasks/get",
  "tasks/update",
  "tasks/cancel",
  "tasks/list",
  "tasks/result",
  "notifications/initialized",
  "notifications/cancelled",
  "notifications/progress",
  "notifications/roots/list_changed",
  "sampling/createMessage",
  "roots/list"
]
const VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]

const LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]

const id = fc.oneof(
  { weight: 6, arbitrary: fc.nat({ max: 10_000 }) },
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, 1.5, -0, -1, 2 ** 60, true, [], {}, "", 1e308) }
)

/** Keeps the base value (`KEEP`, most of the time) or puts another in its place (`undefined`: leaves it out). */
const KEEP = Symbol("keep")
const sometimes = <A>(other: fc.Arbitrary<A>, weightKeep: number) =>
  fc.oneof({ weight: weightKeep, arbitrary: fc.constant<typeof KEEP>(KEEP) }, { weight: 1, arbitrary: other })

/** `base` with now and then one of `alternatives`' fields replaced, left out or (a new key) added. */
const perturb = <V>(base: Readonly<Record<string, V>>, alternatives: Readonly<Record<string, fc.Arbitrary<V | undefined>>>, weightKeep: number) =>
  fc.tuple(...Object.entries(alternatives).map(([name, other]) => sometimes(other, weightKeep).map((choice) => [name, choice] as const))).map((choices) => {
    const out: Record<string, V> = { ...base }
    for (const [name, choice] of choices) {
      if (choice === KEEP) continue
      if (choice === undefined) delete out[name]
      // defineProperty: `__proto__` becomes an own key, as JSON.parse makes it.
      else Object.defineProperty(out, name, { value: choice, enumerable: true, configurable: true, writable: true })
    }
    return out
  })

const OBJECT_TRAPS = { __proto__: json, constructor: json, toString: json }

/** Tool arguments near what each tool takes. `countdown` sleeps 200 ms a step: at most 5 steps. */
const ARGUMENTS: Readonly<Record<string, Record<string, unknown>>> = {
  weather: { city: "Oslo", days: 2 },
  statistics: { numbers: [1, 2, 3] },
  inventory: { sku: "A-1" },
  countdown: { steps: 1 },
  "touch-note": { id: "welcome" },
  onboarding: {},
  summarize: { text: "Short text" }
}
const argumentsFor = (tool: string) =>
  fc.oneof(
    { weight: 6, arbitrary: perturb(ARGUMENTS[tool] ?? {}, { city: json, days: json, numbers: json, sku: anyString, id: anyString, text: anyString, steps: fc.integer({ min: -3, max: 5 }), ...OBJECT_TRAPS }, 6) },
    { weight: 1, arbitrary: json },
    { weight: 1, arbitrary: deep.map((value) => ({ city: value })) }
  )

const uri = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("notes://welcome", "notes://deploy", "notes://", "notes://{id}", "file:///notes.txt", "notes://a/b?c#d") },
  { weight: 1, arbitrary: anyString },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 10_000 }).map((length) => `notes://${"a-".repeat(length)}`) }
)

/** What each method's params are when the client gets them right. */
const paramsFor = (method: string): fc.Arbitrary<Record<string, unknown> | undefined> => {
  switch (method) {
    case "initialize":
      return fc.record({
        protocolVersion: fc.constantFrom(...VERSIONS.slice(0, 4)),
        // Not sampling or elicitation: a legacy session that declares them must answer the server's
        // questions, and its POST /message waits for that answer (by design: on Lambda the work ends
        // with the response), which here would count as a hang.
        capabilities: fc.constantFrom({}, { roots: { listChanged: true } }),
        clientInfo: fc.constant({ name: "fuzz", version: "1" })
      })
    case "tools/call":
      return fc.constantFrom(...TOOLS).chain((name) => fc.record({ name: fc.constant(name), arguments: argumentsFor(name) }))
    case "resources/read":
    case "resources/subscribe":
    case "resources/unsubscribe":
      return fc.record({ uri })
    case "prompts/get":
      return fc.record({
        name: fc.constantFrom(...PROMPTS),
        arguments: fc.oneof(fc.constant({ code: "x = 1", city: "Oslo" }), fc.dictionary(fc.string({ maxLength: 8 }), anyString, { maxKeys: 3 }))
      })
    case "completion/complete":
      return fc.record({
        ref: fc.constantFrom({ type: "ref/prompt", name: "code-review" }, { type: "ref/prompt", name: "trip-plan" }, { type: "ref/resource", uri: "notes://{id}" }),
        argument: fc.record({ name: fc.constantFrom("focus", "city", "id", "nope"), value: anyString })
      })
    case "logging/setLevel":
      return fc.record({ level: fc.constantFrom(...LEVELS) })
    case "tasks/get":
    case "tasks/update":
    case "tasks/cancel":
    case "tasks/result":
      return fc.record({ taskId: fc.oneof(fc.uuid(), anyString), inputResponses: json }, { requiredKeys: ["taskId"] })
    case "notifications/cancelled":
      return fc.record({ requestId: id, reason: anyString }, { requiredKeys: ["requestId"] })
    case "notifications/progress":
      return fc.record({ progressToken: id, progress: fc.integer() })
    case "tools/list":
    case "resources/list":
    case "resources/templates/list":
    case "prompts/list":
      return fc.record({ cursor: anyString }, { requiredKeys: [] })
    default:
      return fc.constantFrom({}, undefined)
  }
}

/** The `_meta` a 2026-07-28 request carries, now and then with a field wrong or missing. */
const ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "fuzz", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {}
}
const envelope = perturb<unknown>(ENVELOPE, {
  "io.modelcontextprotocol/protocolVersion": fc.oneof(fc.constantFrom(...VERSIONS, "2099-12-31"), json),
  "io.modelcontextprotocol/clientInfo": json,
  "io.modelcontextprotocol/clientCapabilities": fc.oneof(
    fc.constantFrom({ elicitation: {} }, { sampling: {} }, { extensions: { "io.modelcontextprotocol/tasks": {} } }, { "io.modelcontextprotocol/tasks": {} }),
    json
  ),
  "io.modelcontextprotocol/logLevel": fc.oneof(fc.constantFrom(...LEVELS), json),
  progressToken: id
}, 10)

/** A JSON-RPC message: right for its method, now and then with a field wrong; `modern`: with the 2026-07-28 envelope. */
const messageOf = (modern: boolean): fc.Arbitrary<Record<string, unknown>> =>
  fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...METHODS) }, { weight: 1, arbitrary: anyString }).chain((method) =>
    fc.tuple(paramsFor(method), modern ? envelope : fc.constant(undefined), id).chain(([params, meta, requestId]) => {
      const withMeta = meta === undefined ? params : { ...params, _meta: meta }
      const paramsArb = withMeta === undefined
        ? fc.constant(undefined)
        : perturb<unknown>(withMeta, { name: json, arguments: json, uri: uri, cursor: json, _meta: json, ...OBJECT_TRAPS }, 12)
      return paramsArb.chain((finalParams) => {
        const base: Record<string, unknown> = {
          jsonrpc: "2.0",
          ...(method.startsWith("notifications/") ? {} : { id: requestId }),
          method,
          ...(finalParams === undefined ? {} : { params: finalParams })
        }
        return perturb<unknown>(base, { jsonrpc: json, id: json, method: json, params: json, result: json, error: json, ...OBJECT_TRAPS }, 15)
      })
    })
  )

/** A body as the client sends it: JSON text, near-JSON text, or bytes that are not UTF-8. */
interface Body {
  readonly sent: unknown // the JSON the body is, when it is JSON
  readonly body: string | Uint8Array
}

const JUNK_BYTES = [0xff, 0xfe, 0xc0, 0xc3, 0xed, 0xa0, 0x80, 0x00]

const bodyOf = (messages: fc.Arbitrary<unknown>, batchWeight: number): fc.Arbitrary<Body> =>
  fc.oneof(
    { weight: 16, arbitrary: messages.map((sent) => ({ sent, body: JSON.stringify(sent) })) },
    { weight: batchWeight, arbitrary: fc.array(messages, { maxLength: 4 }).map((sent) => ({ sent, body: JSON.stringify(sent) })) },
    { weight: 1, arbitrary: json.map((sent) => ({ sent, body: JSON.stringify(sent) ?? "null" })) },
    {
      // Near JSON: cut short, or a character put in or taken out.
      weight: 1,
      arbitrary: fc.tuple(messages, fc.nat(), fc.constantFrom("cut", "insert", "drop"), fc.constantFrom("{", "}", "\"", ",", ":", "\\", "]", "\u0000", "\ud800", "é")).map(
        ([sent, at, how, char]) => {
          const text = JSON.stringify(sent)
          const i = at % (text.length + 1)
          const body = how === "cut" ? text.slice(0, i) : how === "insert" ? text.slice(0, i) + char + text.slice(i) : text.slice(0, i) + text.slice(i + 1)
          return { sent: undefined, body }
        }
      )
    },
    {
      // Not UTF-8: the JSON's bytes with stray bytes put in.
      weight: 1,
      arbitrary: fc.tuple(messages, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...JUNK_BYTES)), { minLength: 1, maxLength: 3 })).map(([sent, junk]) => {
        const bytes = Array.from(new TextEncoder().encode(JSON.stringify(sent)))
        for (const [at, byte] of junk) bytes.splice(at % (bytes.length + 1), 0, byte)
        return { sent: undefined, body: new Uint8Array(bytes) }
      })
    },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.string({ unit: "binary", maxLength: 200 }),
        fc.constantFrom("", " ", "null", "[]", "{}", "[[]]", "1e400", "\"x\"", "{\"jsonrpc\":\"2.0\",\"id\":1e400,\"method\":\"ping\"}", "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}")
      ).map((body) => ({ sent: undefined, body }))
    }
  )

/** Header values a `Request` accepts: Latin-1 without CR, LF or NUL. */
const headerValue = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(..."abcxyz019 -_.:;,=/\"'*?()@[]{}%~!"), maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code)), maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom("", "x".repeat(8_000)) }
)
const latin1 = (value: string) => value.replace(/[^\x20-\xff]/g, "?")

/** Sessions open before the properties run, as their owner. */
interface Sessions {
  readonly current: string // 2025-11-25
  readonly batching: string // 2025-03-26
  readonly legacy: string // 2024-11-05 over /sse
}

/** Headers with a value other than the right one, now and then. */
const headerAlternatives = (sessions: Sessions) => ({
  accept: fc.oneof(fc.constantFrom(undefined, "*/*", "application/json", "text/event-stream", "text/*, application/*;q=0.1", "application/json;q=0, text/event-stream"), headerValue),
  "content-type": fc.oneof(fc.constantFrom(undefined, "application/json; charset=utf-8", "application/json; charset=latin1", "application/json; charset=utf-16", "text/plain", "application/jsonx", "APPLICATION/JSON"), headerValue),
  "mcp-session-id": fc.oneof(
    fc.constantFrom(undefined, sessions.current, sessions.batching, sessions.legacy, "x".repeat(32), `${sessions.current} `, sessions.current.toUpperCase(), sessions.current.slice(1)),
    headerValue
  ),
  "mcp-protocol-version": fc.oneof(fc.constantFrom(undefined, ...VERSIONS, "2099-01-01", "1999-01-01"), headerValue),
  origin: fc.oneof(fc.constantFrom("http://localhost:6274", "http://127.0.0.1", "https://evil.example", "null", "file://"), headerValue),
  "last-event-id": fc.oneof(fc.constantFrom("0", "1", "-1", "99999999999999999999", "1@0123456789abcdef", "3@ffffffffffffffff"), headerValue),
  "mcp-method": fc.oneof(fc.constantFrom(...METHODS), headerValue),
  "mcp-name": fc.oneof(fc.constantFrom(...TOOLS, "=?base64?d2VhdGhlcg==?=", "=?base64?!!!?=", "=?base64??="), headerValue)
})

const principal = fc.oneof({ weight: 8, arbitrary: fc.constant(OWNER) }, { weight: 1, arbitrary: fc.constantFrom(OTHER, undefined) })

// ---------------------------------------------------------------------------------------------
// The MCP API.

describe("MCP API under random requests", () => {
  const { errors, layer } = recordErrors()
  let app: App
  let sessions: Sessions
  let legacyStream: ReadableStreamDefaultReader<Uint8Array> | undefined

  const initialize = async (protocolVersion: string) => {
    const response = await app.fetch(
      new Request("http://local/mcp", {
        method: "POST",
        headers: { "content-type": "application/json", accept: BOTH },
        body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion, capabilities: {}, clientInfo: { name: "fuzz", version: "1" } } })
      }),
      OWNER
    )
    expect(response.status).toBe(200)
    await response.text()
    const sessionId = response.headers.get("mcp-session-id")!
    const initialized = await app.fetch(
      new Request("http://local/mcp", {
        method: "POST",
        headers: { "content-type": "application/json", accept: BOTH, "mcp-session-id": sessionId },
        body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })
      }),
      OWNER
    )
    expect(initialized.status).toBe(202)
    return sessionId
  }

  beforeAll(async () => {
    app = webHandler({ idleStreamWindow: "300 millis", streamAfter: "500 millis" }, layer)
    const current = await initialize("2025-11-25")
    const batching = await initialize("2025-03-26")
    // A legacy session lives while its stream is open: hold it open (unread) until the end.
    const sse = await app.fetch(new Request("http://local/sse", { headers: { accept: "text/event-stream" } }), OWNER)
    expect(sse.status).toBe(200)
    legacyStream = sse.body!.getReader()
    let text = ""
    while (!/sessionId=([^\s&]+)/.test(text)) {
      const next = await legacyStream.read()
      if (next.done) break
      text += new TextDecoder().decode(next.value)
    }
    sessions = { current, batching, legacy: /sessionId=([^\s&]+)/.exec(text)![1]! }
  })
  afterAll(async () => {
    await legacyStream?.cancel().catch(() => undefined)
    await app.dispose()
  })

  /** A POST's stream has done its work once the response to its request is in. */
  const answered = (sent: unknown) => (text: string) => requestId(sent) !== undefined && /"(?:result|error)"/.test(text) && text.endsWith("\n\n")

  it("(1) any POST /mcp body with plausible headers: < 500, and a well-formed JSON-RPC answer", async () => {
    const alternatives = headerAlternatives(sessions)
    const request = fc.constantFrom("current", "batching", "none").chain((session) => {
      const base: Record<string, string> = {
        accept: BOTH,
        "content-type": "application/json",
        ...(session === "current" ? { "mcp-session-id": sessions.current, "mcp-protocol-version": "2025-11-25" } : {}),
        ...(session === "batching" ? { "mcp-session-id": sessions.batching, "mcp-protocol-version": "2025-03-26" } : {})
      }
      return fc.tuple(bodyOf(messageOf(false), session === "batching" ? 6 : 1), perturb<string>(base, alternatives, 16))
    })
    await fc.assert(
      fc.asyncProperty(request, principal, async ([body, headers], caller) => {
        const answer = await exchange(app, errors, { method: "POST", url: "/mcp", headers, body: body.body }, caller, answered(body.sent))
        expectWellFormed(answer, body.sent, `POST /mcp ${typeof body.body === "string" ? body.body.slice(0, 300) : "(bytes)"}`)
      }),
      { numRuns: RUNS.mcp }
    )
  }, TIMEOUT)

  it("(1b) bursts of concurrent requests on one session, either transport: < 500, and well-formed answers", async () => {
    const burst = fc.constantFrom("current", "batching", "legacy").chain((session) => {
      const headers: Record<string, string> = session === "legacy"
        ? { "content-type": "application/json" }
        : { accept: BOTH, "content-type": "application/json", "mcp-session-id": session === "current" ? sessions.current : sessions.batching }
      return fc.record({
        session: fc.constant(session),
        requests: fc.array(fc.tuple(bodyOf(messageOf(false), session === "current" ? 0 : 3), perturb<string>(headers, headerAlternatives(sessions), 30)), { minLength: 2, maxLength: 8 })
      })
    })
    await fc.assert(
      fc.asyncProperty(burst, async ({ requests, session }) => {
        const url = session === "legacy" ? `/message?sessionId=${sessions.legacy}` : "/mcp"
        const answers = await Promise.all(requests.map(([body, headers]) =>
          exchange(app, errors, { method: "POST", url, headers, body: body.body }, OWNER, answered(body.sent)).then((answer) => ({ answer, body }))
        ))
        for (const { answer, body } of answers) expectWellFormed(answer, session === "legacy" ? undefined : body.sent, `a burst on ${url}`)
      }),
      { numRuns: RUNS.bursts }
    )
  }, TIMEOUT)

  it("(2) GET, DELETE and others on /mcp, /sse, /message with random session ids, queries and Last-Event-ID: < 500", async () => {
    const FRESH = "<a session made for this request>"
    const legacyMessage = fc.constantFrom("ping", "tools/list", "tools/call", "resources/read", "prompts/get", "logging/setLevel", "notifications/initialized").chain((method) =>
      paramsFor(method).map((params) => ({ jsonrpc: "2.0", ...(method.startsWith("notifications/") ? {} : { id: 1 }), method, ...(params === undefined ? {} : { params }) }))
    )
    const scenarios = fc.oneof(
      fc.constant({ method: "GET", path: "/mcp", query: "", headers: { accept: "text/event-stream", "mcp-session-id": sessions.current, "mcp-protocol-version": "2025-11-25" }, body: undefined }),
      fc.constant({ method: "GET", path: "/mcp", query: "", headers: { accept: "text/event-stream", "mcp-session-id": sessions.batching }, body: undefined }),
      fc.constant({ method: "GET", path: "/sse", query: "", headers: { accept: "text/event-stream" }, body: undefined }),
      fc.constant({ method: "DELETE", path: "/mcp", query: "", headers: { "mcp-session-id": FRESH }, body: undefined }),
      legacyMessage.map((sent) => ({
        method: "POST",
        path: "/message",
        query: `?sessionId=${sessions.legacy}`,
        headers: { "content-type": "application/json" },
        body: { sent, body: JSON.stringify(sent) } as Body | undefined
      }))
    )
    const query = fc.oneof(
      fc.constantFrom(sessions.legacy, sessions.current, FRESH, "", "%", "%zz", "%C0%AF", "%ED%A0%80", "a%00b", "x".repeat(300), `${sessions.legacy}&sessionId=x`).map((value) => `?sessionId=${value}`),
      fc.array(fc.tuple(fc.constantFrom("sessionId", "cursor", "x", "", "%"), anyString), { maxLength: 3 }).map((pairs) =>
        `?${pairs.map(([name, value]) => `${name}=${encodeURIComponent(value.replace(/[\ud800-\udfff]/g, ""))}`).join("&")}`
      ),
      fc.string({ unit: fc.constantFrom(..."?&=%/#;+ab0"), maxLength: 20 }).map((raw) => `?${raw}`)
    )
    const lastEventId = fc.oneof(
      fc.nat({ max: 60 }).map(String),
      fc.tuple(fc.nat({ max: 60 }), fc.stringMatching(/^[0-9a-f]{16}$/)).map(([seq, stream]) => `${seq}@${stream}`),
      fc.constantFrom("-1", "99999999999999999999", "1e3", " 3 ", "3@", "@", "1@0123456789ABCDEF"),
      headerValue
    )
    const request = scenarios.chain((scenario) =>
      fc.record({
        scenario: fc.constant(scenario),
        method: sometimes(fc.constantFrom("GET", "DELETE", "POST", "PUT", "OPTIONS", "HEAD", "PATCH"), 8),
        path: sometimes(fc.constantFrom("/mcp", "/mcp/", "/sse", "/sse/", "/message", "/message/", "/health", "/mcp/x", "/MCP", "/%6Dcp", "/mcp%2F", "/"), 8),
        query: sometimes(query, 3),
        headers: perturb<string>({ ...scenario.headers }, { ...headerAlternatives(sessions), "last-event-id": lastEventId, "mcp-session-id": fc.oneof(fc.constantFrom(FRESH, sessions.current, sessions.legacy), headerValue) }, 5),
        body: sometimes(bodyOf(messageOf(false), 1), 8)
      })
    )
    await fc.assert(
      fc.asyncProperty(request, principal, async (drawn, caller) => {
        const method = drawn.method === KEEP ? drawn.scenario.method : drawn.method
        const path = drawn.path === KEEP ? drawn.scenario.path : drawn.path
        const body = drawn.body === KEEP ? drawn.scenario.body : drawn.body
        const rawQuery = drawn.query === KEEP ? drawn.scenario.query : drawn.query
        const needsFresh = rawQuery.includes(FRESH) || Object.values(drawn.headers).includes(FRESH)
        const fresh = needsFresh ? await initialize("2025-11-25") : ""
        const headers = Object.fromEntries(Object.entries(drawn.headers).map(([name, value]) => [name, value === FRESH ? fresh : value]))
        const url = `${path}${rawQuery.replace(FRESH, fresh)}`
        const withBody = body !== undefined && method !== "GET" && method !== "HEAD"
        const answer = await exchange(app, errors, { method, url, headers, body: withBody ? body.body : undefined }, caller)
        expectWellFormed(answer, withBody && path.startsWith("/mcp") ? body.sent : undefined, `${method} ${url}`)
      }),
      { numRuns: RUNS.streams }
    )
  }, TIMEOUT)

  it("(4) 2026-07-28 style POSTs with random _meta envelopes and Mcp-Method / Mcp-Name / Mcp-Param headers: < 500", async () => {
    /** The headers the revision wants for `sent`: its version, its method, and its target's name. */
    const headersOf = (sent: Record<string, unknown>): Record<string, string> => {
      const params = isObject(sent["params"]) ? sent["params"] : {}
      const target = sent["method"] === "resources/read" ? params["uri"] : params["name"]
      return {
        accept: BOTH,
        "content-type": "application/json",
        "mcp-protocol-version": "2026-07-28",
        ...(typeof sent["method"] === "string" ? { "mcp-method": latin1(sent["method"]) } : {}),
        ...(typeof target === "string"
          ? { "mcp-name": /^[\x21-\x7E]+$/.test(target) ? target : `=?base64?${Buffer.from(target).toString("base64")}?=` }
          : {})
      }
    }
    const request = messageOf(true).chain((sent) =>
      fc.tuple(
        fc.constant(sent),
        perturb<string>(headersOf(sent), {
          ...headerAlternatives(sessions),
          "mcp-protocol-version": fc.oneof(fc.constantFrom(undefined, ...VERSIONS, "2099-12-31"), headerValue),
          "mcp-param-city": headerValue,
          "mcp-param-__proto__": headerValue,
          "mcp-param-": headerValue
        }, 10)
      )
    )
    await fc.assert(
      fc.asyncProperty(request, principal, async ([sent, headers], caller) => {
        const answer = await exchange(app, errors, { method: "POST", url: "/mcp", headers, body: JSON.stringify(sent) }, caller, answered(sent))
        expectWellFormed(answer, sent, `modern POST ${JSON.stringify(sent).slice(0, 300)} ${JSON.stringify(headers).slice(0, 300)}`)
      }),
      { numRuns: RUNS.modern }
    )
  }, TIMEOUT)
})

// ---------------------------------------------------------------------------------------------
// The Registration API.

const ALICE = "arn:aws:iam::333333333333:user/alice"
const MALLORY = "arn:aws:iam::444444444444:user/mallory"
const ALLOWED = "arn:aws:lambda:*:*:function:mcp-tool-*"
const GUARDED = "tool-guarded"
const ARN = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`

const guarded = {
  type: "tool",
  name: "guarded",
  description: "Created before the properties run",
  lambdaArn: ARN("mcp-tool-guarded"),
  parameters: { text: "string" }
}

const BASES: ReadonlyArray<Record<string, unknown>> = [
  guarded,
  { ...guarded, description: "Replaced by its owner" },
  {
    type: "tool",
    name: "fuzz-schema",
    description: "A tool with a JSON Schema",
    lambdaArn: ARN("mcp-tool-fuzz"),
    inputSchema: { type: "object", properties: { q: { type: "string", pattern: "^a+$" } }, required: ["q"] },
    outputSchema: { type: "object", properties: { n: { type: "integer" } } },
    annotations: { readOnlyHint: true }
  },
  { type: "resource", name: "fuzz-notes", description: "A resource template", lambdaArn: ARN("mcp-tool-notes"), uriTemplate: "notes://{id}", mimeType: "text/plain", completions: { id: ["a"] } },
  { type: "resource", name: "fuzz-note", description: "A resource", lambdaArn: ARN("mcp-tool-notes"), uri: "notes://one" },
  { type: "prompt", name: "fuzz-prompt", description: "A prompt", lambdaArn: ARN("mcp-tool-prompt"), parameters: { code: { type: "string" } }, completions: "function" }
]

const badArn = fc.oneof(
  fc.constantFrom(
    "",
    "*",
    "arn:aws:s3:::bucket",
    "arn:aws:lambda:us-east-1:123456789012:function:",
    "arn:aws:lambda:us-east-1:12345:function:mcp-tool-x",
    "arn:aws:lambda::123456789012:function:mcp-tool-x",
    "arn:aws:lambda:us-east-1:123456789012:function:mcp-tool-x:$LATEST",
    "arn:aws:lambda:us-east-1:123456789012:function:mcp-tool-x:alias:extra",
    "arn:aws-cn:lambda:cn-north-1:123456789012:function:mcp-tool-x",
    "arn:aws:lambda:us-east-1:123456789012:function:weather",
    "arn:aws:lambda:us-east-1:123456789012:function:mcp-registration",
    `arn:aws:lambda:us-east-1:123456789012:function:mcp-tool-${"x".repeat(200)}`,
    "mcp-tool-x",
    "arn:aws:lambda:us-east-1:123456789012:function:mcp-tool-é"
  ),
  anyString.map((name) => ARN(`mcp-tool-${name}`)),
  anyString
)

const PATTERNS = ["^(a+)+$", "(?=a)b", "(a)\\1", "[", "a{100000}", "(a|a)*b", "\\p{L}+", "(?<x>a)\\k<x>", ".*".repeat(500), "[^]", "\\", "(?i)a"]
const schemaish: fc.Arbitrary<unknown> = fc.letrec<{ schema: unknown }>((tie) => ({
  schema: fc.oneof(
    { depthSize: "small" },
    json,
    objectOf({
      type: fc.oneof(fc.constantFrom("object", "string", "integer", "array", "null", "nope", ["string", "null"]), json),
      pattern: fc.oneof(fc.constantFrom(...PATTERNS), anyString),
      patternProperties: fc.oneof(fc.constantFrom(...PATTERNS).map((pattern) => ({ [pattern]: { type: "string" } })), json),
      properties: fc.array(fc.tuple(key, tie("schema")), { maxLength: 3 }).map((entries) => Object.fromEntries(entries)),
      items: tie("schema"),
      required: fc.oneof(fc.array(anyString, { maxLength: 3 }), json),
      $ref: fc.constantFrom("#", "#/definitions/x", "http://169.254.169.254/latest", "#/properties/q"),
      definitions: json,
      "x-mcp-header": fc.oneof(anyString, json),
      format: fc.constantFrom("uri", "date-time", "regex", "email", "nope")
    })
  )
})).schema

/** A value for a field: of the wrong type, huge, deep, or from JSON at large. */
const fieldValue = fc.oneof(
  { weight: 4, arbitrary: json },
  { weight: 1, arbitrary: fc.constantFrom(null, 0, true, [], {}, "", "x".repeat(100_000)) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 360_000 }).map((length) => "y".repeat(length)) }
)

const FIELDS = ["type", "name", "title", "description", "lambdaArn", "parameters", "inputSchema", "outputSchema", "annotations", "uri", "uriTemplate", "mimeType", "completions", "arguments", "taskSupport", "requiredCapabilities", "icons", "_meta", "id", "version", "createdAt", "createdBy", "updatedBy"]

const mutation = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constant("set" as const), fc.oneof(fc.constantFrom(...FIELDS), key), fieldValue) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("set" as const), fc.constant("lambdaArn"), badArn) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("set" as const), fc.constantFrom("inputSchema", "outputSchema", "parameters"), schemaish) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("set" as const), fc.constantFrom("uri", "uriTemplate"), uri) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("delete" as const), fc.constantFrom(...FIELDS), fc.constant(undefined)) }
)

/** A registration document: a valid one, mutated a few times (or not at all), or any JSON. */
const document = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...BASES) },
  {
    weight: 4,
    arbitrary: fc.tuple(fc.constantFrom(...BASES), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([base, mutations]) => {
      const doc: Record<string, unknown> = { ...base }
      for (const [how, field, value] of mutations) {
        if (how === "delete") delete doc[field]
        else Object.defineProperty(doc, field, { value, enumerable: true, configurable: true, writable: true })
      }
      return doc as unknown
    })
  },
  { weight: 1, arbitrary: json }
)

/** A path segment for `id`, each character sent as it is or percent-encoded, with malformed escapes now and then. */
const segment = fc.tuple(
  fc.oneof({ weight: 4, arbitrary: fc.constant(GUARDED) }, { weight: 1, arbitrary: fc.constantFrom("tool-weather", "tool-fuzz-schema", "tool-", "a/b", "..", "tool-guarded ") }, { weight: 1, arbitrary: anyString }),
  fc.array(fc.constantFrom("raw", "upper", "lower"), { minLength: 1, maxLength: 40 }),
  fc.oneof(
    { weight: 5, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom("%", "%G1", "%C3", "%FF", "%C0%AF", "%2F", "%00", "%ED%A0%80", "%E2%82")) }
  )
).map(([id, how, junk]) => {
  const encoded = Array.from(id.replace(/[\ud800-\udfff]/g, "\ufffd"))
    .map((char, index) => {
      const mode = how[index % how.length]
      if (mode === "raw" && /[A-Za-z0-9\-_.~]/.test(char)) return char
      const hex = Array.from(new TextEncoder().encode(char)).map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("")
      return mode === "lower" ? hex : hex.toUpperCase()
    })
    .join("")
  if (junk === undefined) return encoded
  const at = junk[0] % (encoded.length + 1)
  return encoded.slice(0, at) + junk[1] + encoded.slice(at)
})

const registrationPath = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(segment, fc.constantFrom("", "/", "?x=1")).map(([id, tail]) => `/register/${id}${tail}`) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom("", "tool", "resource", "prompt", "agent", "%"), fc.constantFrom("", "0", "1", "100", "101", "-1", "1.5", "1e3"), fc.oneof(anyString, fc.constant(""))).map(
      ([type, limit, cursor]) => `/register?type=${type}&limit=${limit}&cursor=${encodeURIComponent(cursor.replace(/[\ud800-\udfff]/g, ""))}`
    )
  },
  { weight: 2, arbitrary: fc.constantFrom("/register", "/register/", "/resources/updated", "/resources/updated/", "/health", "/registerx", "//register/tool-guarded", "/register/tool-guarded/x", "/register/%", "/register%2Ftool-guarded") }
)

/** `If-Match`: absent, the current version (in any form the server reads), a stale one, `*`, or junk. */
type IfMatch =
  | { readonly kind: "none" }
  | { readonly kind: "current"; readonly form: (version: number) => string }
  | { readonly kind: "stale"; readonly offset: number; readonly form: (version: number) => string }
  | { readonly kind: "any" }
  | { readonly kind: "junk"; readonly value: string }

const versionForm = fc.constantFrom(
  (version: number) => `"${version}"`,
  (version: number) => `W/"${version}"`,
  (version: number) => `${version}`,
  (version: number) => ` "${version}" `
)
const ifMatch: fc.Arbitrary<IfMatch> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: "none" } as const) },
  { weight: 2, arbitrary: versionForm.map((form) => ({ kind: "current", form }) as const) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(-1, 1, 2, 1000), versionForm).map(([offset, form]) => ({ kind: "stale", offset, form }) as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "any" } as const) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(..."abc\"W/ -,*x"), maxLength: 12 }).map((value) => ({ kind: "junk", value }) as const) }
)

const ifMatchValue = (choice: IfMatch, version: number) =>
  choice.kind === "none"
    ? undefined
    : choice.kind === "any"
    ? "*"
    : choice.kind === "junk"
    ? choice.value
    : choice.kind === "current"
    ? choice.form(version)
    : choice.form(Math.max(0, version + choice.offset))

const decodedSegment = (url: string) => {
  const match = /^\/register\/([^/?]+)\/?(?:\?.*)?$/.exec(url)
  if (match === null) return undefined
  try {
    return decodeURIComponent(match[1]!)
  } catch {
    return undefined
  }
}

describe("Registration API under random requests", () => {
  const { errors, layer } = recordErrors()
  // Owner-only, and functions `mcp-tool-*` only: mallory may change nothing of alice's.
  const policy = Layer.succeed(RegistrationPolicy, fromPatterns([ALLOWED], true))
  let app: App

  const read = async () => {
    const response = await app.fetch(new Request(`http://local/register/${GUARDED}`), ALICE)
    return { status: response.status, etag: response.headers.get("etag"), body: await response.text() }
  }
  const create = async () => {
    const response = await app.fetch(
      new Request("http://local/register", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(guarded) }),
      ALICE
    )
    expect(response.status).toBe(201)
    await response.text()
  }

  beforeAll(async () => {
    app = webHandler({}, layer, {}, policy)
    await create()
  })
  afterAll(async () => {
    await app.dispose()
  })

  it("(3) random paths, percent-encodings, documents and If-Match: < 500, and alice's registration changes only by her own right request", async () => {
    let before = await read()
    let changes = 0
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          {
            weight: 5,
            arbitrary: fc.tuple(
              fc.oneof({ weight: 3, arbitrary: fc.constantFrom("POST", "PUT", "PUT", "DELETE") }, { weight: 1, arbitrary: fc.constantFrom("GET", "PATCH", "OPTIONS", "HEAD") }),
              registrationPath,
              document,
              ifMatch,
              fc.oneof({ weight: 2, arbitrary: fc.constant(ALICE) }, { weight: 2, arbitrary: fc.constant(MALLORY) }, { weight: 1, arbitrary: fc.constant(undefined) }),
              fc.oneof({ weight: 8, arbitrary: fc.constant("application/json") }, { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/json; charset=utf-8", "") }),
              fc.constant(false)
            )
          },
          {
            // Alice's own right request, which must succeed: the property sees changes that are right, too.
            weight: 1,
            arbitrary: fc.tuple(
              fc.constantFrom("PUT", "DELETE"),
              fc.constant(`/register/${GUARDED}`),
              fc.constant<unknown>(BASES[1]),
              ifMatch.filter((choice) => choice.kind === "current" || choice.kind === "none" || choice.kind === "any"),
              fc.constant(ALICE),
              fc.constant("application/json"),
              fc.constant(true)
            )
          }
        ),
        async ([method, url, doc, precondition, caller, contentType, right]) => {
          // Each run starts from what is there (a failed run, or a shrink, may have left it changed).
          before = await read()
          if (before.status === 404) {
            await create()
            before = await read()
          }
          const version = Number(/\d+/.exec(before.etag ?? "")?.[0] ?? 0)
          const condition = ifMatchValue(precondition, version)
          const withBody = method !== "GET" && method !== "HEAD"
          const body = withBody ? JSON.stringify(doc) ?? "null" : undefined
          const headers = {
            ...(withBody && contentType !== "" ? { "content-type": contentType } : {}),
            ...(condition === undefined ? {} : { "if-match": condition })
          }
          const answer = await exchange(app, errors, { method, url, headers, body }, caller)
          const after = await read()
          // What may change alice's registration: her own PUT or DELETE of it, with no If-Match (or `*`,
          // or its version), and a PUT whose body claims no other version.
          const bodyVersion = isObject(doc) ? doc["version"] : undefined
          const anyVersion = precondition.kind === "none" || precondition.kind === "any" || (precondition.kind === "junk" && precondition.value.trim() === "*")
          const mayChange = (method === "PUT" || method === "DELETE") &&
            decodedSegment(url) === GUARDED &&
            caller === ALICE &&
            answer.status < 300 &&
            (precondition.kind === "current" ||
              (anyVersion && (method === "DELETE" || bodyVersion === undefined || bodyVersion === version)))
          if (right) expect(answer.status, `alice's ${method} with If-Match ${condition}: ${answer.text.slice(0, 300)}`).toBeLessThan(300)
          if (!mayChange) {
            expect(after, `alice's registration after ${method} ${url} as ${caller} with If-Match ${condition} (${answer.status}): ${body?.slice(0, 300)}`).toEqual(before)
          } else {
            changes += 1
            if (method === "PUT") expect(after.body).toBe(answer.text)
            if (method === "DELETE") expect(after.status).toBe(404)
          }
        }
      ),
      { numRuns: RUNS.registration }
    )
    // The property reached the branch where a change is right, too.
    expect(changes).toBeGreaterThan(0)
  }, TIMEOUT)
})

// ---------------------------------------------------------------------------------------------
// Both APIs: whatever the Registration API accepts, the MCP API serves.

/** JSON Schemas for one string argument, with patterns RE2 runs, refuses, or finds expensive. */
const argumentSchema = fc.record({
  type: fc.constantFrom("string", "string", "integer", "array", "object"),
  pattern: fc.oneof(fc.constantFrom(...PATTERNS, "^[a-z]+$", "^(a|aa)+$", "(x+x+)+y", "^.{0,5000}$", "[\\s\\S]*$"), fc.string({ unit: fc.constantFrom(..."a()[]{}|*+?^$\\.-,0129dswb"), maxLength: 16 })),
  maxLength: fc.nat({ max: 100_000 }),
  items: fc.constant({ type: "string", pattern: "^(a+)+$" }),
  patternProperties: fc.constantFrom(...PATTERNS, "^a", "").map((pattern) => ({ [pattern]: { type: "string", pattern: "(a|a)*b" } })),
  format: fc.constantFrom("uri", "date-time", "regex", "email", "uuid", "nope"),
  enum: fc.array(anyString, { maxLength: 3 })
}, { requiredKeys: ["type"] })

const TEMPLATES = ["notes://{id}", "x://{a}-{b}", "x://{a}{b}", "{+path}", "x://{?q,r}", "x://h{#f}", "x://{/p*}", "x://{a:3}", "x://{", "x://}", "{}", "x://{a}/{a}", "x://{.d*}{;m}"]

/** What to register: a tool with a schema, or a resource with a template; then what to ask of it. */
const registered = fc.oneof(
  fc.record({
    kind: fc.constant("tool" as const),
    schema: fc.dictionary(fc.constantFrom("a", "b", "__proto__", "constructor", "x-y"), argumentSchema, { minKeys: 1, maxKeys: 2 }),
    required: fc.boolean(),
    calls: fc.array(
      fc.dictionary(
        fc.constantFrom("a", "b", "__proto__", "constructor", "x-y", "z"),
        fc.oneof(anyString, fc.tuple(fc.nat({ max: 20_000 }), fc.constantFrom("a", "ab", "x"), fc.constantFrom("", "!", "y", "b")).map(([n, unit, end]) => unit.repeat(n) + end), json)
      ),
      { minLength: 1, maxLength: 3 }
    )
  }),
  fc.record({
    kind: fc.constant("resource" as const),
    template: fc.oneof(fc.constantFrom(...TEMPLATES), fc.string({ unit: fc.constantFrom(..."x:/{}+#?.;*,ab-"), maxLength: 20 })),
    calls: fc.array(fc.oneof(uri, fc.tuple(fc.nat({ max: 8_200 }), fc.constantFrom("x://", "x://h", "")).map(([n, prefix]) => prefix + "a-".repeat(n / 2))), { minLength: 1, maxLength: 3 })
  })
)

describe("Registrations the Registration API accepts, served by the MCP API", () => {
  const { errors, layer } = recordErrors()
  let app: App
  beforeAll(() => {
    app = webHandler({}, layer)
  })
  afterAll(async () => {
    await app.dispose()
  })

  it("(5) a random schema or URI template, once registered, never makes a tools/call or resources/read a 5xx or a hang", async () => {
    let accepted = 0
    let serial = 0
    await fc.assert(
      fc.asyncProperty(registered, async (drawn) => {
        serial += 1
        const name = `prop-${serial}`
        const document = drawn.kind === "tool"
          ? {
            type: "tool",
            name,
            description: "A tool with a random schema",
            lambdaArn: ARN("weather"),
            inputSchema: { type: "object", properties: drawn.schema, ...(drawn.required ? { required: Object.keys(drawn.schema) } : {}) }
          }
          : { type: "resource", name, description: "A random template", lambdaArn: ARN("notes"), uriTemplate: drawn.template }
        const created = await exchange(app, errors, { method: "POST", url: "/register", headers: { "content-type": "application/json" }, body: JSON.stringify(document) }, undefined)
        if (created.status !== 201) return
        accepted += 1
        for (const call of drawn.calls) {
          const method = drawn.kind === "tool" ? "tools/call" : "resources/read"
          const params = drawn.kind === "tool" ? { name, arguments: call } : { uri: call }
          const sent = { jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: ENVELOPE } }
          const target = drawn.kind === "tool" ? name : String(call)
          const headers = {
            accept: BOTH,
            "content-type": "application/json",
            "mcp-protocol-version": "2026-07-28",
            "mcp-method": method,
            "mcp-name": /^[\x21-\x7E]+$/.test(target) && !target.startsWith("=?") ? target : `=?base64?${Buffer.from(target).toString("base64")}?=`
          }
          const answer = await exchange(app, errors, { method: "POST", url: "/mcp", headers, body: JSON.stringify(sent) }, undefined)
          expectWellFormed(answer, sent, `${method} of ${JSON.stringify(document).slice(0, 500)} with ${JSON.stringify(params).slice(0, 300)}`)
        }
        await exchange(app, errors, { method: "DELETE", url: `/register/${drawn.kind}-${name}` }, undefined)
      }),
      { numRuns: RUNS.registered }
    )
    // Some of what was drawn was registered, and called.
    expect(accepted).toBeGreaterThan(0)
  }, TIMEOUT)
})

// ---------------------------------------------------------------------------------------------
// The dev server's guard, over real HTTP (a `Request` cannot set `Host`).

/** One request with exactly these headers (`host` included), its status and body. */
const rawRequest = (url: string, method: string, path: string, headers: Record<string, string>, body: string | undefined) =>
  new Promise<{ status: number; text: string }>((resolve, reject) => {
    const target = new URL(url)
    const request = httpRequest({ host: target.hostname, port: target.port, method, path, headers, setHost: false }, (response) => {
      const chunks: Array<Buffer> = []
      // A stream (GET /sse, GET /mcp) is judged by its head.
      if ((response.headers["content-type"] ?? "").startsWith("text/event-stream")) {
        response.destroy()
        resolve({ status: response.statusCode ?? 0, text: "" })
        return
      }
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }))
      response.on("error", reject)
    })
    request.on("error", reject)
    request.end(body)
  })

const LOOPBACK_HOSTS = ["localhost", "localhost:8080", "127.0.0.1", "127.0.0.1:1", "[::1]:3000", "LOCALHOST"]
const FOREIGN_HOSTS = ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "evil.example:80", "0.0.0.0", "10.0.0.1", "localhost@evil.example"]
const ALLOWED_ORIGINS = ["http://localhost:6274", "http://127.0.0.1:8080", "http://[::1]:1", "https://localhost:443"]
const FOREIGN_ORIGINS = ["https://evil.example", "http://localhost.evil.example", "http://127.0.0.1.nip.io:80", "https://localhost.evil.example:443"]

describe("The dev server under random Host and Origin", () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startDevServer()
  })
  afterAll(async () => {
    await server.close()
  })

  it("(6) every route: 403 for a foreign Host or Origin, never a 5xx or a hang", async () => {
    const host = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...LOOPBACK_HOSTS).map((value) => ({ kind: "loopback", value }) as const) },
      { weight: 3, arbitrary: fc.constantFrom(...FOREIGN_HOSTS).map((value) => ({ kind: "foreign", value }) as const) },
      { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(..."abc.:[]@-_0189"), maxLength: 20 }).map((value) => ({ kind: "random", value }) as const) }
    )
    const origin = fc.oneof(
      { weight: 3, arbitrary: fc.constant({ kind: "none", value: undefined }) },
      { weight: 2, arbitrary: fc.constantFrom(...ALLOWED_ORIGINS).map((value) => ({ kind: "allowed", value }) as const) },
      { weight: 2, arbitrary: fc.constantFrom(...FOREIGN_ORIGINS).map((value) => ({ kind: "foreign", value }) as const) },
      // Node's client sends printable ASCII only.
      { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 30 }).map((value) => ({ kind: "random", value }) as const) }
    )
    const route = fc.constantFrom(
      { method: "POST", path: "/mcp", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "fuzz", version: "1" } } }) },
      { method: "POST", path: "/register", body: JSON.stringify({ type: "tool", name: "x", description: "d", lambdaArn: ARN("nowhere") }) },
      { method: "GET", path: "/register", body: undefined },
      { method: "GET", path: "/register/tool-weather", body: undefined },
      { method: "DELETE", path: "/register/tool-nothing", body: undefined },
      { method: "POST", path: "/resources/updated", body: JSON.stringify({ uri: "notes://welcome" }) },
      { method: "GET", path: "/health", body: undefined },
      { method: "GET", path: "/sse", body: undefined },
      { method: "OPTIONS", path: "/mcp", body: undefined },
      { method: "POST", path: "/message?sessionId=x", body: "{}" }
    )
    await fc.assert(
      fc.asyncProperty(host, origin, route, async (host, origin, route) => {
        const headers = {
          host: host.value,
          accept: BOTH,
          "content-type": "application/json",
          ...(origin.value === undefined ? {} : { origin: origin.value })
        }
        const what = `${route.method} ${route.path} with ${JSON.stringify(headers)}`
        const answer = await within(what, HANG_MS, rawRequest(server.url, route.method, route.path, headers, route.body))
        expect(answer.status, `${what}: ${answer.text.slice(0, 300)}`).toBeLessThan(500)
        if (host.kind === "foreign" || origin.kind === "foreign") expect(answer.status, what).toBe(403)
        if (host.kind === "loopback" && (origin.kind === "none" || origin.kind === "allowed")) expect(answer.status, what).not.toBe(403)
      }),
      { numRuns: RUNS.guard }
    )
  }, TIMEOUT)
})

// ---------------------------------------------------------------------------------------------
// What the properties found, kept as plain examples.

describe("Regressions found by the properties", () => {
  let app: App
  beforeAll(() => {
    app = webHandler({}, recordErrors().layer)
  })
  afterAll(async () => {
    await app.dispose()
  })

  /** `{"toString": null}` is JSON that `String` and template literals throw on. */
  const UNPRINTABLE = { toString: null }

  it("a JSON-RPC method that is an object String cannot print is -32600, not a 500 (the request log named it with String)", async () => {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      app.fetch(new Request("http://local/mcp", {
        method: "POST",
        headers: { accept: BOTH, "content-type": "application/json", ...headers },
        body: JSON.stringify(body)
      }))
    const initialized = await post({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "raw", version: "1" } } })
    const sessionId = initialized.headers.get("mcp-session-id")!
    await initialized.text()
    const single = await post({ jsonrpc: "2.0", id: 7, method: UNPRINTABLE }, { "mcp-session-id": sessionId })
    expect(single.status).toBe(200)
    expect(await single.json()).toEqual({ jsonrpc: "2.0", id: 7, error: { code: -32600, message: "Invalid Request" } })
    const batch = await post([{ jsonrpc: "2.0", id: 8, method: UNPRINTABLE }], { "mcp-session-id": sessionId })
    expect(batch.status).toBe(200)
    expect(await batch.json()).toEqual([{ jsonrpc: "2.0", id: 8, error: { code: -32600, message: "Invalid Request" } }])
    expect((await post({ jsonrpc: "2.0", id: 9, method: UNPRINTABLE })).status).toBe(400)
  })

  /**
   * `dev` runs the example functions in its own process, so a function that takes what it is
   * asked took the server down: `weather` built one line per day, and `days: 2147483647` (an
   * integer, as its schema asks) filled the heap until the process died (seen in CI as the test
   * worker's out-of-memory crash). Their schemas bound the numbers now (so the call is refused
   * before the function runs), each example checks its own too, and `dev` runs functions in
   * worker threads with a heap limit.
   */
  it.each([
    ["weather", { city: "Oslo", days: 2 ** 31 - 1 }, "days: must be <= 16"],
    ["countdown", { steps: 2 ** 31 - 1 }, "steps: must be <= 300"]
  ])("%s asked for 2^31 - 1 of its work answers an error at once, not an out-of-memory crash", async (name, args, message) => {
    const sent = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args, _meta: ENVELOPE } }
    const response = await app.fetch(new Request("http://local/mcp", {
      method: "POST",
      headers: { accept: BOTH, "content-type": "application/json", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": name },
      body: JSON.stringify(sent)
    }))
    expect(response.status).toBe(200)
    const { result } = await response.json() as { result: { isError?: boolean; content: Array<{ text: string }> } }
    expect(result.isError).toBe(true)
    expect(result.content[0]!.text).toContain(message)
  })

  it("PUT /register/{id} whose body's id is an object String cannot print is 400 IdMismatch, not a 500", async () => {
    const response = await app.fetch(new Request("http://local/register/tool-weather", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: UNPRINTABLE, type: "tool" })
    }))
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: "IdMismatch", message: "The body's id '{\"toString\":null}' is not 'tool-weather'" })
  })
})
