/**
 * Sealing a function's `requestState` before it leaves the server (MCP 2026-07-28 hands it to
 * the client, who sends it back with its answers): an HMAC-SHA256 over the state and what it is
 * bound to — principal, session, tool — and an expiry, so a client can neither forge it, nor
 * replay it for another caller, session or tool, nor keep it past its time.
 *
 * Sealed form: `v1.<base64url JSON payload>.<base64url MAC>`.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"

export interface Binding {
  readonly principal: string
  readonly sessionId?: string | undefined
  readonly tool: string
}

export class RequestStateRejected extends Data.TaggedError("RequestStateRejected")<{
  readonly reason: "malformed" | "tampered" | "expired" | "not yours"
}> {
  override get message() {
    return `requestState rejected: ${this.reason}`
  }
}

export interface RequestStateSealShape {
  readonly seal: (state: string, binding: Binding) => Effect.Effect<string>
  readonly unseal: (sealed: string, binding: Binding) => Effect.Effect<string, RequestStateRejected>
}

export class RequestStateSeal extends Context.Tag("mcp-lambda-sam/RequestStateSeal")<RequestStateSeal, RequestStateSealShape>() {}

interface Payload {
  readonly s: string
  readonly p: string
  readonly sid: string | null
  readonly t: string
  readonly exp: number
}

const VERSION = "v1"

export const make = (key: Redacted.Redacted<Uint8Array>, ttl: Duration.DurationInput = Duration.minutes(10)): RequestStateSealShape =>
  makeWithKey(Effect.succeed(key), ttl)

/** A seal whose key is fetched when first needed (the fetch may fail: that is a defect). */
export const makeWithKey = (
  key: Effect.Effect<Redacted.Redacted<Uint8Array>>,
  ttl: Duration.DurationInput = Duration.minutes(10)
): RequestStateSealShape => {
  const mac = (data: string) => Effect.map(key, (bytes) => createHmac("sha256", Redacted.value(bytes)).update(data).digest())
  const lifetime = Duration.toMillis(ttl)

  const seal = (state: string, binding: Binding) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const payload: Payload = { s: state, p: binding.principal, sid: binding.sessionId ?? null, t: binding.tool, exp: now + lifetime }
      const body = Buffer.from(JSON.stringify(payload)).toString("base64url")
      return `${VERSION}.${body}.${(yield* mac(`${VERSION}.${body}`)).toString("base64url")}`
    })

  const unseal = (sealed: string, binding: Binding) =>
    Effect.gen(function* () {
      const [version, body, signature] = sealed.split(".")
      if (version !== VERSION || body === undefined || signature === undefined || sealed.split(".").length !== 3) {
        return yield* new RequestStateRejected({ reason: "malformed" })
      }
      const expected = yield* mac(`${version}.${body}`)
      const given = Buffer.from(signature, "base64url")
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return yield* new RequestStateRejected({ reason: "tampered" })
      }
      const payload = Option.liftThrowable(() => JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Payload)()
      if (Option.isNone(payload)) return yield* new RequestStateRejected({ reason: "malformed" })
      const { exp, p, s, sid, t } = payload.value
      if (exp <= (yield* Clock.currentTimeMillis)) return yield* new RequestStateRejected({ reason: "expired" })
      if (p !== binding.principal || sid !== (binding.sessionId ?? null) || t !== binding.tool) {
        return yield* new RequestStateRejected({ reason: "not yours" })
      }
      return s
    })

  return { seal, unseal }
}

/** `REQUEST_STATE_KEY` (base64, at least 32 bytes), if set. */
const configuredKey = Effect.gen(function* () {
  // A key that cannot be read is a broken deployment, not a request's problem.
  const configured = yield* Effect.orDie(Config.option(Config.redacted("REQUEST_STATE_KEY")))
  if (Option.isNone(configured)) return Option.none<Redacted.Redacted<Uint8Array>>()
  const bytes = Buffer.from(Redacted.value(configured.value), "base64")
  if (bytes.length < 32) return yield* Effect.dieMessage("REQUEST_STATE_KEY must be at least 32 bytes, base64-encoded")
  return Option.some(Redacted.make(new Uint8Array(bytes)))
})

/**
 * The key from `REQUEST_STATE_KEY`, else `fallback` (fetched once, on first use, and kept):
 * on Lambda a key every container shares (the session table holds it), in the dev server
 * one random key of the process.
 */
export const makeWithFallback = <R>(fallback: Effect.Effect<Redacted.Redacted<Uint8Array>, never, R>) =>
  Effect.gen(function* () {
    const context = yield* Effect.context<R>()
    const configured = yield* configuredKey
    if (Option.isSome(configured)) return makeWithKey(Effect.succeed(configured.value))
    // Kept once fetched; a failed fetch is tried again by the next request.
    const kept = yield* Ref.make(Option.none<Redacted.Redacted<Uint8Array>>())
    const key = Effect.flatMap(Ref.get(kept), Option.match({
      onSome: Effect.succeed,
      onNone: () => Effect.tap(Effect.provide(fallback, context), (fetched) => Ref.set(kept, Option.some(fetched)))
    }))
    return makeWithKey(key)
  })

/** `makeWithFallback` as a layer. */
export const layerWithFallback = <R>(fallback: Effect.Effect<Redacted.Redacted<Uint8Array>, never, R>) =>
  Layer.effect(RequestStateSeal, makeWithFallback(fallback))

/** `REQUEST_STATE_KEY`, or a random key of this process (enough for one process: the dev server, tests). */
export const layerConfig = layerWithFallback(Effect.sync(() => Redacted.make(new Uint8Array(randomBytes(32)))))
