/**
 * The behaviour every Registry implementation must have. Run it with a layer factory that
 * gives a fresh, empty registry each time (memory here; DynamoDB Local in the integration suite).
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, type Layer } from "effect"
import { type RegistrationId, specOf } from "../../src/domain/Registration.js"
import { Registry } from "../../src/services/Registry.js"
import { promptSpec, resourceSpec, toolSpec } from "../support/fixtures.js"

export const registryContract = <E>(name: string, makeLayer: () => Layer.Layer<Registry, E>) =>
  describe(`Registry contract / ${name}`, () => {
    const run = <A, E2>(effect: Effect.Effect<A, E2, Registry>) => Effect.provide(effect, makeLayer())

    it.effect("creates at version 1 and reads it back", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        const created = yield* registry.create(toolSpec("weather"))
        expect(created.id).toBe("tool-weather")
        expect(created.version).toBe(1)
        expect(created.createdAt).toBe(created.updatedAt)
        const read = yield* registry.get("tool-weather" as RegistrationId)
        expect(read).toEqual(created)
        expect(specOf(read)).toEqual(toolSpec("weather"))
      })))

    it.effect("refuses a second create of the same id", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        yield* registry.create(toolSpec("weather"))
        const error = yield* Effect.flip(registry.create(toolSpec("weather", { description: "other" })))
        expect(error._tag).toBe("RegistrationConflict")
        const kept = yield* registry.get("tool-weather" as RegistrationId)
        expect(kept.description).toBe("The weather tool")
      })))

    it.effect("the same name under two types is two registrations", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        yield* registry.create(toolSpec("docs"))
        yield* registry.create(promptSpec("docs"))
        const page = yield* registry.list()
        expect(page.items.map((item) => item.id)).toEqual(["prompt-docs", "tool-docs"])
      })))

    it.effect("updates bump the version and keep createdAt", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        const created = yield* registry.create(toolSpec("weather"))
        const updated = yield* registry.update(toolSpec("weather", { description: "Forecasts" }))
        expect(updated.version).toBe(2)
        expect(updated.description).toBe("Forecasts")
        expect(updated.createdAt).toBe(created.createdAt)
        const again = yield* registry.update(toolSpec("weather", { description: "Forecasts v3" }), { ifVersion: 2 })
        expect(again.version).toBe(3)
      })))

    it.effect("an update with a stale version fails and changes nothing", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        yield* registry.create(toolSpec("weather"))
        yield* registry.update(toolSpec("weather", { description: "v2" }))
        const error = yield* Effect.flip(registry.update(toolSpec("weather", { description: "lost" }), { ifVersion: 1 }))
        expect(error).toMatchObject({ _tag: "RegistrationVersionMismatch", expected: 1, actual: 2 })
        expect((yield* registry.get("tool-weather" as RegistrationId)).description).toBe("v2")
      })))

    it.effect("updating or removing a missing registration fails with RegistrationNotFound", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        expect((yield* Effect.flip(registry.update(toolSpec("ghost"))))._tag).toBe("RegistrationNotFound")
        expect((yield* Effect.flip(registry.remove("tool-ghost" as RegistrationId)))._tag).toBe("RegistrationNotFound")
        expect((yield* Effect.flip(registry.get("tool-ghost" as RegistrationId)))._tag).toBe("RegistrationNotFound")
        const expected = { ifVersion: 1 }
        expect((yield* Effect.flip(registry.update(toolSpec("ghost"), expected)))._tag).toBe("RegistrationNotFound")
        expect((yield* Effect.flip(registry.remove("tool-ghost" as RegistrationId, expected)))._tag).toBe("RegistrationNotFound")
      })))

    it.effect("removes, honouring an expected version", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        yield* registry.create(toolSpec("weather"))
        const stale = yield* Effect.flip(registry.remove("tool-weather" as RegistrationId, { ifVersion: 7 }))
        expect(stale).toMatchObject({ _tag: "RegistrationVersionMismatch", expected: 7, actual: 1 })
        yield* registry.remove("tool-weather" as RegistrationId, { ifVersion: 1 })
        const exit = yield* Effect.exit(registry.get("tool-weather" as RegistrationId))
        expect(Exit.isFailure(exit)).toBe(true)
      })))

    it.effect("lists in id order across pages, filtered by type", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        const names = ["a", "b", "c", "d", "e", "f", "g"]
        yield* Effect.forEach(names, (n) => registry.create(toolSpec(`t${n}`)), { discard: true })
        yield* registry.create(promptSpec("p1"))
        yield* registry.create(resourceSpec("r1", { uri: "file:///r1" }))
        const seen: Array<string> = []
        let cursor: string | undefined
        let pages = 0
        do {
          const page = yield* registry.list({ type: "tool", cursor, limit: 3 })
          seen.push(...page.items.map((item) => item.id))
          expect(page.items.length).toBeLessThanOrEqual(3)
          cursor = page.nextCursor
          pages++
        } while (cursor !== undefined)
        expect(seen).toEqual(names.map((n) => `tool-t${n}`))
        expect(pages).toBeGreaterThanOrEqual(3)
        const all = yield* registry.list({ limit: 100 })
        expect(all.items.map((item) => item.id)).toEqual([
          "prompt-p1",
          "resource-r1",
          ...names.map((n) => `tool-t${n}`)
        ])
        expect(all.nextCursor).toBeUndefined()
      })))

    it.effect("rejects a forged or foreign cursor", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        yield* Effect.forEach(["a", "b", "c"], (n) => registry.create(toolSpec(n)), { discard: true })
        const forged = yield* Effect.flip(registry.list({ cursor: "not-a-cursor!" }))
        expect(forged._tag).toBe("InvalidCursor")
        const page = yield* registry.list({ type: "tool", limit: 1 })
        expect(page.nextCursor).toBeDefined()
        const foreign = yield* Effect.flip(registry.list({ type: "prompt", cursor: page.nextCursor }))
        expect(foreign._tag).toBe("InvalidCursor")
      })))

    it.effect("the stamp changes with every write and only then", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        const s0 = yield* registry.stamp
        expect(yield* registry.stamp).toBe(s0)
        yield* registry.create(toolSpec("weather"))
        const s1 = yield* registry.stamp
        expect(s1).not.toBe(s0)
        yield* Effect.flip(registry.create(toolSpec("weather")))
        expect(yield* registry.stamp).toBe(s1)
        yield* registry.update(toolSpec("weather", { description: "x" }))
        const s2 = yield* registry.stamp
        expect(s2).not.toBe(s1)
        yield* registry.remove("tool-weather" as RegistrationId)
        expect(yield* registry.stamp).not.toBe(s2)
      })))

    it.effect("a registration too large for one item is refused, and nothing is stored", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        const huge = toolSpec("huge", { description: "x".repeat(360_000) })
        expect((yield* Effect.flip(registry.create(huge)))._tag).toBe("RegistrationTooLarge")
        expect((yield* Effect.flip(registry.get("tool-huge" as RegistrationId)))._tag).toBe("RegistrationNotFound")
        yield* registry.create(toolSpec("small"))
        expect((yield* Effect.flip(registry.update(toolSpec("small", { description: "x".repeat(360_000) }))))._tag).toBe(
          "RegistrationTooLarge"
        )
        expect((yield* registry.get("tool-small" as RegistrationId)).version).toBe(1)
      })))

    it.effect("concurrent updates of one version: exactly one wins", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        yield* registry.create(toolSpec("weather"))
        const exits = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          (i) => Effect.exit(registry.update(toolSpec("weather", { description: `writer ${i}` }), { ifVersion: 1 })),
          { concurrency: "unbounded" }
        )
        expect(exits.filter(Exit.isSuccess)).toHaveLength(1)
        // Each loser learns the winner's version, whether it read it or lost the write to it.
        for (const exit of exits.filter(Exit.isFailure)) {
          expect(Cause.squash(exit.cause)).toMatchObject({ _tag: "RegistrationVersionMismatch", expected: 1, actual: 2 })
        }
        const final = yield* registry.get("tool-weather" as RegistrationId)
        expect(final.version).toBe(2)
      })))

    it.effect("concurrent updates without an expected version all land, one version each", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        const created = yield* registry.create(toolSpec("weather"))
        const updated = yield* Effect.forEach(
          Array.from({ length: 8 }, (_, i) => i),
          (i) => registry.update(toolSpec("weather", { description: `writer ${i}` })),
          { concurrency: "unbounded" }
        )
        expect(updated.map((item) => item.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9])
        const final = yield* registry.get("tool-weather" as RegistrationId)
        expect(final).toEqual(updated.find((item) => item.version === 9))
        expect(final.createdAt).toBe(created.createdAt)
      })))

    it.effect("concurrent creates of one id: exactly one wins, the others conflict", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        const exits = yield* Effect.forEach(
          Array.from({ length: 8 }, (_, i) => i),
          (i) => Effect.exit(registry.create(toolSpec("weather", { description: `writer ${i}` }))),
          { concurrency: "unbounded" }
        )
        const winners = exits.filter(Exit.isSuccess)
        expect(winners).toHaveLength(1)
        for (const exit of exits.filter(Exit.isFailure)) {
          expect(Cause.squash(exit.cause)).toMatchObject({ _tag: "RegistrationConflict", id: "tool-weather" })
        }
        expect(yield* registry.get("tool-weather" as RegistrationId)).toEqual(winners[0]?.value)
      })))

    it.effect("concurrent removes of one version: exactly one wins, the others find nothing", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        yield* registry.create(toolSpec("weather"))
        const exits = yield* Effect.forEach(
          Array.from({ length: 8 }, (_, i) => i),
          () => Effect.exit(registry.remove("tool-weather" as RegistrationId, { ifVersion: 1 })),
          { concurrency: "unbounded" }
        )
        expect(exits.filter(Exit.isSuccess)).toHaveLength(1)
        for (const exit of exits.filter(Exit.isFailure)) {
          expect(Cause.squash(exit.cause)).toMatchObject({ _tag: "RegistrationNotFound", id: "tool-weather" })
        }
      })))

    it.effect("records who created a registration and who changed it last", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        const created = yield* registry.create(toolSpec("weather"), { principal: "arn:aws:iam::123456789012:user/alice" })
        expect(created).toMatchObject({ createdBy: "arn:aws:iam::123456789012:user/alice", updatedBy: "arn:aws:iam::123456789012:user/alice" })
        const updated = yield* registry.update(toolSpec("weather", { description: "Forecasts" }), { principal: "arn:aws:iam::123456789012:user/bob" })
        expect(updated).toMatchObject({ createdBy: "arn:aws:iam::123456789012:user/alice", updatedBy: "arn:aws:iam::123456789012:user/bob" })
        expect(yield* registry.get("tool-weather" as RegistrationId)).toEqual(updated)
        expect(specOf(updated)).toEqual(toolSpec("weather", { description: "Forecasts" }))
      })))

    it.effect("owner-only: another principal may neither update nor remove; the creator may", () =>
      run(Effect.gen(function* () {
        const registry = yield* Registry
        yield* registry.create(toolSpec("weather"), { principal: "alice" })
        const asBob = { principal: "bob", ownerOnly: true }
        expect(yield* Effect.flip(registry.update(toolSpec("weather", { description: "Mine now" }), asBob)))
          .toMatchObject({ _tag: "RegistrationForbidden", id: "tool-weather" })
        expect(yield* Effect.flip(registry.remove("tool-weather" as RegistrationId, asBob))).toMatchObject({ _tag: "RegistrationForbidden" })
        expect(yield* Effect.flip(registry.remove("tool-weather" as RegistrationId, { ...asBob, ifVersion: 1 })))
          .toMatchObject({ _tag: "RegistrationForbidden" })
        expect((yield* registry.get("tool-weather" as RegistrationId)).version).toBe(1)
        const asAlice = { principal: "alice", ownerOnly: true }
        expect((yield* registry.update(toolSpec("weather", { description: "Forecasts" }), asAlice)).version).toBe(2)
        yield* registry.remove("tool-weather" as RegistrationId, asAlice)
        // One without a recorded creator (made before the field existed) stays open.
        yield* registry.create(toolSpec("legacy"))
        expect((yield* registry.update(toolSpec("legacy", { description: "x" }), asBob)).updatedBy).toBe("bob")
      })))
  })
