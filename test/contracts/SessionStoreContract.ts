/**
 * The behaviour every SessionStore implementation must have, including the outbox. Time is
 * the TestClock's, so TTLs are checked without sleeping.
 */
import { randomBytes } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, type Layer, TestClock } from "effect"
import { notification } from "../../src/domain/JsonRpc.js"
import type { NewSession, OutboxEntry, SessionId } from "../../src/domain/Session.js"
import { isSkipped, SessionStore, SKIPPED } from "../../src/services/SessionStore.js"
import { spansOf } from "../support/tracing.js"

const indexOf = (entry: OutboxEntry): unknown => "params" in entry.message ? entry.message.params?.["i"] : undefined
const methodOf = (entry: OutboxEntry): string | undefined => "method" in entry.message ? entry.message.method : undefined

export const newSession = (id: string, principal = "arn:aws:iam::123456789012:user/alice"): NewSession => ({
  id: id as SessionId,
  principal,
  transport: "streamable-http",
  protocolVersion: "2025-11-25",
  initialized: false
})


/** `makeLayer(ttl)` gives a fresh, empty store whose sessions live `ttl` after their last use. */
export const sessionStoreContract = <E>(
  name: string,
  makeLayer: (ttl: Duration.Duration) => Layer.Layer<SessionStore, E>
) =>
  describe(`SessionStore contract / ${name}`, () => {
    const run = <A, E2>(effect: Effect.Effect<A, E2, SessionStore>) =>
      Effect.provide(effect, makeLayer(Duration.minutes(10)))
    const id = "session-0123456789abcdef" as SessionId

    it.effect("creates, reads, updates and removes a session", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        const created = yield* store.create(newSession(id))
        expect(created.expiresAt - created.createdAt).toBe(Duration.toMillis(Duration.minutes(10)))
        expect(yield* store.get(id)).toEqual(created)
        const updated = yield* store.update(id, { initialized: true, logLevel: "info", protocolVersion: "2025-06-18" })
        expect(updated).toMatchObject({ initialized: true, logLevel: "info", protocolVersion: "2025-06-18" })
        expect(yield* store.get(id)).toEqual(updated)
        // What the session's standing streams last saw of the registry survives a round trip.
        const seen = JSON.stringify(["stamp-1", "tools", "resources", "prompts"])
        expect(yield* store.update(id, { catalogSeen: seen })).toMatchObject({ catalogSeen: seen, logLevel: "info" })
        expect((yield* store.get(id)).catalogSeen).toBe(seen)
        yield* store.remove(id)
        expect((yield* Effect.flip(store.get(id)))._tag).toBe("SessionNotFound")
        expect((yield* Effect.flip(store.remove(id)))._tag).toBe("SessionNotFound")
      })))

    it.effect("a client's info and capabilities come back as the client sent them, whatever their shape", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        const clientInfo = { name: "client", version: "1.0.0", title: "" }
        // Numbers beyond 2^53 and empty containers are the client's business, not the store's.
        const clientCapabilities = { roots: { listChanged: true }, experimental: { "x-quota": { bytes: 1e21 }, empty: {}, list: [] } }
        const created = yield* store.create({ ...newSession(id), clientInfo, clientCapabilities })
        expect(created).toMatchObject({ clientInfo, clientCapabilities })
        expect(yield* store.get(id)).toMatchObject({ clientInfo, clientCapabilities })
        const changed = { ...clientCapabilities, sampling: { n: 2 ** 60 } }
        expect(yield* store.update(id, { clientCapabilities: changed })).toMatchObject({ clientInfo, clientCapabilities: changed })
        expect((yield* store.get(id)).clientCapabilities).toEqual(changed)
      })))

    it.effect("each operation is traced under its name", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        const operations: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
          ["create", store.create(newSession(id))],
          ["get", store.get(id)],
          ["update", store.update(id, { initialized: true })],
          ["touch", store.touch(id)],
          ["append", store.append(id, notification("n/1"))],
          ["abandon", store.abandon(id, 1)],
          ["readAfter", store.readAfter(id, 0)],
          ["remove", store.remove(id)]
        ]
        for (const [name, operation] of operations) {
          expect(yield* spansOf(operation)).toContain(`SessionStore.${name}`)
        }
      })))

    it.effect("refuses to create a live session twice", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        const error = yield* Effect.flip(store.create(newSession(id, "someone-else")))
        expect(error._tag).toBe("SessionAlreadyExists")
        expect((yield* store.get(id)).principal).toBe("arn:aws:iam::123456789012:user/alice")
      })))

    it.effect("unknown sessions are not found by any operation", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        const ghost = "ghost-0123456789abcdef" as SessionId
        expect((yield* Effect.flip(store.get(ghost)))._tag).toBe("SessionNotFound")
        expect((yield* Effect.flip(store.update(ghost, { initialized: true })))._tag).toBe("SessionNotFound")
        expect((yield* Effect.flip(store.touch(ghost)))._tag).toBe("SessionNotFound")
        expect((yield* Effect.flip(store.append(ghost, notification("x"))))._tag).toBe("SessionNotFound")
        expect((yield* Effect.flip(store.readAfter(ghost, 0)))._tag).toBe("SessionNotFound")
      })))

    it.effect("a session expires after its TTL unless touched, updated or appended to", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        yield* TestClock.adjust(Duration.minutes(9))
        yield* store.touch(id)
        yield* TestClock.adjust(Duration.minutes(9))
        expect((yield* store.get(id)).id).toBe(id)
        yield* TestClock.adjust(Duration.minutes(2))
        expect((yield* Effect.flip(store.get(id)))._tag).toBe("SessionNotFound")
        yield* store.create(newSession(id))
        yield* TestClock.adjust(Duration.minutes(9))
        yield* store.update(id, { initialized: true })
        yield* TestClock.adjust(Duration.minutes(9))
        expect((yield* store.get(id)).initialized).toBe(true)
        yield* TestClock.adjust(Duration.minutes(2))
        expect((yield* Effect.flip(store.get(id)))._tag).toBe("SessionNotFound")
        yield* store.create(newSession(id))
        yield* TestClock.adjust(Duration.minutes(9))
        yield* store.append(id, notification("keeps it alive"))
        yield* TestClock.adjust(Duration.minutes(9))
        expect((yield* store.get(id)).id).toBe(id)
      })))

    it.effect("a session is gone exactly a TTL after its last use, and its id then starts afresh", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        yield* store.append(id, notification("n/old"))
        yield* TestClock.adjust(Duration.millis(Duration.toMillis(Duration.minutes(10)) - 1))
        expect((yield* store.get(id)).id).toBe(id)
        yield* TestClock.adjust(Duration.millis(1))
        const tags = [
          yield* Effect.flip(store.get(id)),
          yield* Effect.flip(store.update(id, { initialized: true })),
          yield* Effect.flip(store.touch(id)),
          yield* Effect.flip(store.append(id, notification("n/late"))),
          yield* Effect.flip(store.readAfter(id, 0)),
          yield* Effect.flip(store.remove(id))
        ].map((error) => error._tag)
        expect(tags).toEqual(Array.from({ length: 6 }, () => "SessionNotFound"))
        // The expired session's id may be taken again: a new session, with an empty outbox.
        const again = yield* store.create(newSession(id, "someone-else"))
        expect(again.principal).toBe("someone-else")
        expect(yield* store.readAfter(id, 0)).toEqual([])
        yield* store.append(id, notification("n/new"))
        expect((yield* store.readAfter(id, 0)).map((entry) => entry.message)).toEqual([notification("n/new")])
      })))

    it.effect("an outbox message is read for a TTL after its write, and not after", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        yield* store.append(id, notification("n/old"))
        yield* TestClock.adjust(Duration.minutes(8))
        yield* store.append(id, notification("n/new"))
        const methods = Effect.map(store.readAfter(id, 0), (entries) => entries.map((entry) => methodOf(entry)))
        yield* TestClock.adjust(Duration.millis(Duration.toMillis(Duration.minutes(2)) - 1))
        expect(yield* methods).toEqual(["n/old", "n/new"])
        yield* TestClock.adjust(Duration.millis(1))
        expect(yield* methods).toEqual(["n/new"])
      })))

    it.effect("a number whose message expired may be given up, and then reads as skipped, in order", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        const old = yield* store.append(id, notification("n/old"))
        yield* TestClock.adjust(Duration.minutes(8))
        const recent = yield* store.append(id, notification("n/recent"))
        yield* TestClock.adjust(Duration.minutes(3))
        expect((yield* store.readAfter(id, 0)).map((entry) => entry.seq)).toEqual([recent.seq])
        expect(yield* store.abandon(id, old.seq)).toBe(true)
        expect((yield* store.readAfter(id, 0)).map((entry) => [entry.seq, methodOf(entry)])).toEqual([
          [old.seq, SKIPPED.method],
          [recent.seq, "n/recent"]
        ])
        // Giving it up again changes nothing.
        expect(yield* store.abandon(id, old.seq)).toBe(false)
        expect(yield* store.readAfter(id, 0)).toHaveLength(2)
      })))

    it.effect("a number given up before it is taken never swallows the message appended next", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        const first = yield* store.append(id, notification("n/1"))
        // Whether a store marks a number no append has taken yet is its own affair.
        yield* store.abandon(id, first.seq + 1)
        const second = yield* store.append(id, notification("n/2"))
        const read = yield* store.readAfter(id, 0)
        const seqs = read.map((entry) => entry.seq)
        expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b))
        expect(read.filter((entry) => !isSkipped(entry.message)).map((entry) => [entry.seq, methodOf(entry)])).toEqual([
          [first.seq, "n/1"],
          [second.seq, "n/2"]
        ])
      })))

    it.effect("appends get unique increasing sequence numbers, read after a cursor", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        const first = yield* store.append(id, notification("n/1"))
        const second = yield* store.append(id, notification("n/2"))
        expect(second.seq).toBeGreaterThan(first.seq)
        const all = yield* store.readAfter(id, 0)
        expect(all.map((entry) => entry.message)).toEqual([notification("n/1"), notification("n/2")])
        const rest = yield* store.readAfter(id, first.seq)
        expect(rest.map((entry) => entry.seq)).toEqual([second.seq])
        expect(yield* store.readAfter(id, second.seq)).toEqual([])
      })))

    it.effect("a message appended to a response stream reads back with that stream's name", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        const own = yield* store.append(id, notification("n/own"))
        const posted = yield* store.append(id, notification("n/posted"), "post-1")
        expect([own.stream, posted.stream]).toEqual([undefined, "post-1"])
        const read = yield* store.readAfter(id, 0)
        expect(read.map((entry) => [methodOf(entry), entry.stream])).toEqual([["n/own", undefined], ["n/posted", "post-1"]])
        expect("stream" in read[0]!).toBe(false)
      })))

    it.effect("concurrent appends lose nothing and never share a sequence number", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        const entries = yield* Effect.forEach(
          Array.from({ length: 50 }, (_, i) => i),
          (i) => store.append(id, notification("n", { i })),
          { concurrency: 10 }
        )
        expect(new Set(entries.map((entry) => entry.seq)).size).toBe(50)
        const read = yield* store.readAfter(id, 0, 1000)
        expect(read).toHaveLength(50)
        const seqs = read.map((entry) => entry.seq)
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
        expect(new Set(read.map((entry) => indexOf(entry))).size).toBe(50)
      })))

    it.effect("readAfter honours its limit and pages through the outbox", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        yield* Effect.forEach(Array.from({ length: 7 }, (_, i) => i), (i) => store.append(id, notification("n", { i })), {
          discard: true
        })
        const firstPage = yield* store.readAfter(id, 0, 3)
        expect(firstPage).toHaveLength(3)
        const secondPage = yield* store.readAfter(id, firstPage[2]!.seq, 3)
        expect(secondPage.map((entry) => indexOf(entry))).toEqual([3, 4, 5])
      })))

    it.effect("messages up to a megabyte come back whole, compressible or not", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        const repetitive = notification("n/big", { text: "all work and no play ".repeat(50_000) })
        const random = notification("n/random", { text: randomBytes(768 * 1024).toString("base64") })
        yield* store.append(id, repetitive)
        yield* store.append(id, random)
        yield* store.append(id, notification("n/after"))
        const read = yield* store.readAfter(id, 0)
        expect(read.map((entry) => entry.message)).toEqual([repetitive, random, notification("n/after")])
      })), 60_000)

    it.effect("an outbox of large messages is read whole, page after page", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        // ~250 KB each, kept as they are: DynamoDB cuts its 1 MB pages after about four.
        const sent = Array.from({ length: 6 }, (_, i) => notification("n/large", { i, text: randomBytes(180 * 1024).toString("base64") }))
        yield* Effect.forEach(sent, (message) => store.append(id, message), { discard: true })
        const read: Array<OutboxEntry> = []
        for (let cursor = 0; ;) {
          const page = yield* store.readAfter(id, cursor)
          if (page.length === 0) break
          read.push(...page)
          cursor = page[page.length - 1]!.seq
        }
        expect(read.map((entry) => entry.message)).toEqual(sent)
      })), 60_000)

    it.effect("a message of several megabytes comes back whole", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        // Incompressible past 3 MB: more than ten parts of an item's size on DynamoDB, read in order.
        const huge = notification("n/huge", { text: randomBytes(3 * 1024 * 1024 + 512 * 1024).toString("base64") })
        yield* store.append(id, huge)
        yield* store.append(id, notification("n/after"))
        const read = yield* store.readAfter(id, 0)
        expect(read.map((entry) => entry.message)).toEqual([huge, notification("n/after")])
      })), 60_000)

    it.effect("a number whose message is there cannot be given up", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        const entry = yield* store.append(id, notification("n/1"))
        expect(yield* store.abandon(id, entry.seq)).toBe(false)
        expect((yield* store.readAfter(id, 0)).map((read) => read.message)).toEqual([notification("n/1")])
      })))

    it.effect("removing a session removes its whole outbox", () =>
      run(Effect.gen(function* () {
        const store = yield* SessionStore
        yield* store.create(newSession(id))
        // More than one batch of deletes on DynamoDB (25 keys each).
        yield* Effect.forEach(Array.from({ length: 30 }, (_, i) => i), (i) => store.append(id, notification("n", { i })), {
          discard: true
        })
        yield* store.remove(id)
        yield* store.create(newSession(id))
        expect(yield* store.readAfter(id, 0, 1000)).toEqual([])
        // Its numbers are free again: nothing left over refuses or hides a new message.
        yield* store.append(id, notification("n/after"))
        expect((yield* store.readAfter(id, 0)).map((entry) => entry.message)).toEqual([notification("n/after")])
      })))
  })
