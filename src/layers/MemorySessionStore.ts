/** Sessions and outboxes held in memory: for tests, `npm start` and embedding. */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { SessionAlreadyExists, SessionNotFound } from "../domain/errors.js"
import type { JsonRpcMessage } from "../domain/JsonRpc.js"
import type { NewSession, OutboxEntry, Session, SessionChanges, SessionId } from "../domain/Session.js"
import { SessionStore, type SessionStoreShape, SKIPPED } from "../services/SessionStore.js"
import { DEFAULTS } from "../Settings.js"

export interface SessionStoreOptions {
  /** How long a session lives after its last use. */
  readonly ttl?: Duration.DurationInput | undefined
}

export const DEFAULT_SESSION_TTL = Duration.seconds(DEFAULTS.SESSION_TTL_SECONDS)

interface Slot {
  readonly session: Session
  readonly outbox: ReadonlyArray<OutboxEntry>
  readonly lastSeq: number
}

type Slots = ReadonlyMap<SessionId, Slot>

export const makeMemory = (options: SessionStoreOptions = {}): Effect.Effect<SessionStoreShape> =>
  Effect.gen(function* () {
    const ttl = Duration.toMillis(options.ttl ?? DEFAULT_SESSION_TTL)
    const slots = yield* Ref.make<Slots>(new Map())

    /**
     * Runs `f` on a live session's slot atomically (an expired one is not found, and is replaced by
     * `create`), without its outbox entries older than a TTL, like the outbox items' TTL on DynamoDB.
     */
    const modifySlot = <A>(id: SessionId, f: (slot: Slot, now: number) => readonly [A, Slot | undefined]) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(slots, (current): readonly [Either.Either<A, SessionNotFound>, Slots] => {
          const slot = current.get(id)
          if (slot === undefined || slot.session.expiresAt <= now) return [Either.left(new SessionNotFound({ sessionId: id })), current]
          const outbox = slot.outbox.filter((entry) => entry.createdAt > now - ttl)
          const [result, next] = f({ ...slot, outbox }, now)
          const updated = new Map(current)
          if (next === undefined) updated.delete(id)
          else updated.set(id, next)
          return [Either.right(result), updated]
        })
      ).pipe(Effect.flatten)

    const create = Effect.fn("SessionStore.create")(function* (session: NewSession) {
      const now = yield* Clock.currentTimeMillis
      const stored: Session = { ...session, createdAt: now, expiresAt: now + ttl }
      const created = yield* Ref.modify(slots, (current): readonly [boolean, Slots] => {
        const existing = current.get(session.id)
        if (existing !== undefined && existing.session.expiresAt > now) return [false, current]
        return [true, new Map(current).set(session.id, { session: stored, outbox: [], lastSeq: 0 })]
      })
      if (!created) return yield* new SessionAlreadyExists({ sessionId: session.id })
      return { ...stored, lastSeq: 0 }
    })

    const get = (id: SessionId) => modifySlot(id, (slot) => [{ ...slot.session, lastSeq: slot.lastSeq }, slot] as const)

    const update = (id: SessionId, changes: SessionChanges) =>
      modifySlot(id, (slot, now) => {
        const session: Session = { ...slot.session, ...changes, expiresAt: now + ttl }
        return [{ ...session, lastSeq: slot.lastSeq }, { ...slot, session }] as const
      })

    const touch = (id: SessionId) =>
      modifySlot(id, (slot, now) => [undefined, { ...slot, session: { ...slot.session, expiresAt: now + ttl } }] as const)

    const remove = (id: SessionId) => modifySlot(id, () => [undefined, undefined] as const)

    const append = (id: SessionId, message: JsonRpcMessage, stream?: string) =>
      modifySlot(id, (slot, now) => {
        const entry: OutboxEntry = {
          sessionId: id,
          seq: slot.lastSeq + 1,
          message,
          createdAt: now,
          ...(stream === undefined ? {} : { stream })
        }
        const session: Session = { ...slot.session, expiresAt: now + ttl }
        return [entry, { session, outbox: [...slot.outbox, entry], lastSeq: entry.seq }] as const
      })

    // Appends here take their number and write in one step: a number is never missing, but a
    // reader may still give one up (the contract allows it).
    const abandon = (id: SessionId, seq: number) =>
      modifySlot(id, (slot, now) => {
        // Stryker disable next-line EqualityOperator: `>=` differs only for the newest number once its message expired, and no reader is waiting on that number then
        if (seq > slot.lastSeq || slot.outbox.some((entry) => entry.seq === seq)) return [false, slot] as const
        const marker: OutboxEntry = { sessionId: id, seq, message: SKIPPED, createdAt: now }
        const outbox = [...slot.outbox, marker].sort((a, b) => a.seq - b.seq)
        return [true, { ...slot, outbox }] as const
      // Stryker disable next-line BooleanLiteral: no reader gives up a number of a session that is gone (its read fails first)
      }).pipe(Effect.catchTag("SessionNotFound", () => Effect.succeed(false)))

    const readAfter = (id: SessionId, after: number, limit = 100) =>
      modifySlot(id, (slot) => [slot.outbox.filter((entry) => entry.seq > after).slice(0, limit), slot] as const)

    return {
      create,
      get: (id) => get(id).pipe(Effect.withSpan("SessionStore.get")),
      update: (id, changes) => update(id, changes).pipe(Effect.withSpan("SessionStore.update")),
      touch: (id) => touch(id).pipe(Effect.withSpan("SessionStore.touch")),
      remove: (id) => remove(id).pipe(Effect.withSpan("SessionStore.remove")),
      append: (id, message, stream) => append(id, message, stream).pipe(Effect.withSpan("SessionStore.append")),
      abandon: (id, seq) => abandon(id, seq).pipe(Effect.withSpan("SessionStore.abandon")),
      readAfter: (id, after, limit) => readAfter(id, after, limit).pipe(Effect.withSpan("SessionStore.readAfter"))
    }
  })

export const layerMemory = (options: SessionStoreOptions = {}): Layer.Layer<SessionStore> =>
  Layer.effect(SessionStore, makeMemory(options))
