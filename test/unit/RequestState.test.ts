/** A sealed requestState opens only unchanged, in time, for the caller, session and tool it was sealed for. */
import { randomBytes } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Layer, Redacted, TestClock } from "effect"
import { layerConfig, make, RequestStateSeal } from "../../src/mcp/RequestState.js"

const seal = make(Redacted.make(randomBytes(32)), Duration.minutes(10))
const alice = { principal: "arn:aws:iam::123456789012:user/alice", sessionId: "s-1", tool: "onboarding" }

describe("RequestState", () => {
  it.effect("round-trips for the same binding", () =>
    Effect.gen(function* () {
      const sealed = yield* seal.seal("round-1 {\"cart\":3}", alice)
      expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+$/)
      expect(sealed).not.toContain("cart")
      expect(yield* seal.unseal(sealed, alice)).toBe("round-1 {\"cart\":3}")
    }))

  it.effect("refuses a tampered, expired or foreign state", () =>
    Effect.gen(function* () {
      const sealed = yield* seal.seal("state", alice)
      const [version, body, mac] = sealed.split(".") as [string, string, string]
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, "base64url").toString()), s: "forged" })).toString("base64url")
      const reasons = yield* Effect.forEach(
        [
          [`${version}.${forged}.${mac}`, alice],
          [`${version}.${body}.${mac.slice(0, -2)}AA`, alice],
          ["not a sealed state", alice],
          [sealed, { ...alice, principal: "arn:aws:iam::123456789012:user/mallory" }],
          [sealed, { ...alice, sessionId: "s-2" }],
          [sealed, { ...alice, tool: "delete-everything" }]
        ] as const,
        ([candidate, binding]) => Effect.map(Effect.flip(seal.unseal(candidate, binding)), (error) => error.reason)
      )
      expect(reasons).toEqual(["tampered", "tampered", "malformed", "not yours", "not yours", "not yours"])
      yield* TestClock.adjust(Duration.minutes(11))
      expect((yield* Effect.flip(seal.unseal(sealed, alice))).reason).toBe("expired")
    }))

  it.effect("a state sealed with another key is tampered", () =>
    Effect.gen(function* () {
      const other = make(Redacted.make(randomBytes(32)))
      const sealed = yield* other.seal("state", alice)
      expect((yield* Effect.flip(seal.unseal(sealed, alice))).reason).toBe("tampered")
    }))

  it.effect("every container shares REQUEST_STATE_KEY", () =>
    Effect.gen(function* () {
      const key = randomBytes(32).toString("base64")
      const withKey = layerConfig.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["REQUEST_STATE_KEY", key]])))))
      const sealed = yield* Effect.flatMap(RequestStateSeal, (s) => s.seal("state", alice)).pipe(Effect.provide(withKey))
      const opened = yield* Effect.flatMap(RequestStateSeal, (s) => s.unseal(sealed, alice)).pipe(Effect.provide(withKey))
      expect(opened).toBe("state")
    }))
})
