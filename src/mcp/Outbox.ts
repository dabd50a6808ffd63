/**
 * The server→client half of a session: its outbox as a stream of entries.
 *
 * The stream polls the outbox (strongly consistent reads on DynamoDB) — fast right after
 * activity, backing off while idle — so messages appended by other invocations, possibly on
 * other machines, reach the client. It also watches the registry (through the shared
 * catalog) and appends `notifications/<kind>s/list_changed` when a kind of registration
 * changes. Transports frame the entries (SSE) and decide how long a stream lives.
 */
import { createHash } from "node:crypto"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { type JsonRpcMessage, notification } from "../domain/JsonRpc.js"
import type { OutboxEntry, SessionId } from "../domain/Session.js"
import { isSkipped, SessionStore } from "../services/SessionStore.js"
import * as Settings from "../Settings.js"
import { Catalog, KINDS } from "./Catalog.js"

export interface OutboxOptions {
  /** Delay after a poll that found messages; doubles while idle up to `maxPollInterval`. */
  readonly minPollInterval: Duration.DurationInput
  readonly maxPollInterval: Duration.DurationInput
  /** How often the registry stamp is checked for list_changed notifications. */
  readonly registryWatchInterval: Duration.DurationInput
}

/** `POLL_MIN_MS`, `POLL_MAX_MS` and `REGISTRY_WATCH_SECONDS`. */
export const optionsConfig: Config.Config<OutboxOptions> = Config.all({
  minPollInterval: Config.map(Settings.integer("POLL_MIN_MS"), Duration.millis),
  maxPollInterval: Config.map(Settings.integer("POLL_MAX_MS"), Duration.millis),
  registryWatchInterval: Config.map(Settings.integer("REGISTRY_WATCH_SECONDS"), Duration.seconds)
})

const PAGE = 100

/**
 * How long a missing sequence number holds back the messages after it. Appends take their
 * number first and write second, so a later message can land before an earlier one; a number
 * still missing after this long is given up (`SessionStore.abandon`): marked skipped unless its
 * message landed meanwhile, and a writer that finds its number given up appends again under a
 * new one — so nothing is lost, however late the write.
 */
export const GAP_TIMEOUT = Duration.seconds(10)

/** How long a stream keeps polling through failing reads (a store outage) before it ends. */
export const OUTAGE_TOLERANCE = Duration.seconds(30)

/** The entries that follow `cursor` without a hole: what may be delivered in order now. */
export const contiguous = (cursor: number, entries: ReadonlyArray<OutboxEntry>) => {
  const ready: Array<OutboxEntry> = []
  let expected = cursor + 1
  for (const entry of entries) {
    if (entry.seq !== expected) break
    ready.push(entry)
    expected++
  }
  return ready
}

/** Outbox entries after `after`, each exactly once and in sequence order, until the session ends. */
export const tailOutbox = (sessionId: SessionId, after: number, options: OutboxOptions) =>
  Stream.unwrap(Effect.map(SessionStore, (store) => {
    const min = Duration.toMillis(options.minPollInterval)
    const max = Duration.toMillis(options.maxPollInterval)
    const gapTimeout = Duration.toMillis(GAP_TIMEOUT)
    interface State {
      readonly cursor: number
      readonly wait: number
      /** When the hole after `cursor` was first seen. */
      readonly gapSince: number | undefined
      /** When reads began to fail (reset by the next read that works). */
      readonly failingSince?: number | undefined
    }
    type Step = Option.Option<readonly [Chunk.Chunk<OutboxEntry>, State]>
    const poll = (state: State): Effect.Effect<Step> =>
      Effect.gen(function* () {
        // Stryker disable next-line ConditionalExpression,EqualityOperator: sleeping 0 ms is no wait either
        if (state.wait > 0) yield* Effect.sleep(Duration.millis(state.wait))
        const entries = yield* store.readAfter(sessionId, state.cursor, PAGE)
        const first = entries[0]
        if (first === undefined) {
          const wait = Math.min(max, Math.max(min, state.wait * 2))
          return Option.some([Chunk.empty<OutboxEntry>(), { cursor: state.cursor, wait, gapSince: undefined }] as const)
        }
        const ready = contiguous(state.cursor, entries)
        if (ready.length === 0) {
          // A hole: wait for the slow writer, but not for ever.
          const now = yield* Clock.currentTimeMillis
          const since = state.gapSince ?? now
          if (now - since < gapTimeout) {
            return Option.some([Chunk.empty<OutboxEntry>(), { cursor: state.cursor, wait: min, gapSince: since }] as const)
          }
          // Give the missing numbers up, then read again: each is now a skip mark or its message.
          let marked = 0
          // Stryker disable next-line EqualityOperator,ArithmeticOperator: giving up a number whose message is there (first.seq, or one delivered) is refused
          for (let seq = state.cursor + 1; seq < first.seq; seq++) {
            // Stryker disable next-line ConditionalExpression,UpdateOperator: the count is only logged
            if (yield* store.abandon(sessionId, seq)) marked++
          }
          // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: only whether a warning is logged
          if (marked > 0) {
            yield* Effect.logWarning(
              // Stryker disable next-line StringLiteral,ArithmeticOperator: log text
              `Outbox of ${sessionId}: ${marked} of sequence ${state.cursor + 1}–${first.seq - 1} never arrived; their writers append again`
            )
          }
          return Option.some([Chunk.empty<OutboxEntry>(), { cursor: state.cursor, wait: 0, gapSince: undefined }] as const)
        }
        const last = ready[ready.length - 1]!
        // A full page may have more behind it: read again at once.
        // Stryker disable next-line ConditionalExpression: reading again at once after any delivery costs one read, delivers the same
        const next = { cursor: last.seq, wait: ready.length === PAGE ? 0 : min, gapSince: undefined }
        return Option.some([Chunk.fromIterable(ready.filter((entry) => !isSkipped(entry.message))), next] as const)
      }).pipe(
        // The session was deleted or expired: the stream ends.
        Effect.catchTag("SessionNotFound", () => Effect.succeed<Step>(Option.none())),
        // A brief outage is waited out (polling backs off as when idle); a long one ends the stream.
        Effect.catchTag("StoreError", (error) =>
          Effect.gen(function* () {
            const now = yield* Clock.currentTimeMillis
            const since = state.failingSince ?? now
            if (now - since >= Duration.toMillis(OUTAGE_TOLERANCE)) {
              // Stryker disable next-line StringLiteral: log text
              yield* Effect.logError("Outbox reads kept failing; ending the stream", error)
              return Option.none()
            }
            // Stryker disable next-line StringLiteral: log text
            yield* Effect.logWarning("Outbox read failed; trying again", error)
            const wait = Math.min(max, Math.max(min, state.wait * 2))
            return Option.some([Chunk.empty<OutboxEntry>(), { ...state, wait, failingSince: since }] as const)
          })
        )
      )
    return Stream.unfoldChunkEffect<State, OutboxEntry, never, never>({ cursor: after, wait: 0, gapSince: undefined }, poll)
  }))

/**
 * Where a session's series of short standing streams left the registry: the stream that opens
 * next announces what changed in between, and records what it saw for the one after.
 */
export interface CatalogSeries {
  /** The session's `catalogSeen`, as the stream's session was read. */
  readonly seen: string | undefined
}

interface Seen {
  readonly stamp: string
  readonly digests: ReadonlyArray<string>
}

// Stryker disable next-line MethodExpression: a longer digest compares the same
const digest = (fingerprint: string) => createHash("sha256").update(fingerprint).digest("base64url").slice(0, 16)

const encodeSeen = (seen: Seen) => JSON.stringify([seen.stamp, ...seen.digests])

const decodeSeen = (text: string | undefined): Seen | undefined => {
  // Stryker disable next-line ConditionalExpression: JSON.parse refuses undefined too
  if (text === undefined) return undefined
  try {
    const parsed: unknown = JSON.parse(text)
    if (
      // Stryker disable next-line ConditionalExpression: anything but an array fails the length check too
      !Array.isArray(parsed) ||
      parsed.length !== KINDS.length + 1 ||
      !parsed.every((item) => typeof item === "string")
    ) {
      return undefined
    }
    const [stamp, ...digests] = parsed as Array<string>
    return { stamp: stamp!, digests }
    // Stryker disable next-line BlockStatement: an empty catch returns undefined too
  } catch {
    return undefined
  }
}

/**
 * Appends list_changed notifications to the outbox whenever a kind of registration changes.
 * Without a series the watch starts from the registry as it is; with one, from what the
 * session's previous stream saw, and each change (and the first look) is recorded on the session.
 */
export const watchRegistry = (sessionId: SessionId, interval: Duration.DurationInput, series?: CatalogSeries) =>
  Effect.gen(function* () {
    const catalog = yield* Catalog
    const store = yield* SessionStore
    let seen = decodeSeen(series?.seen)
    const look = Effect.gen(function* () {
      const stamp = yield* catalog.stamp
      return { stamp, digests: (yield* catalog.fingerprints).map(digest) } satisfies Seen
    })
    const record = (next: Seen) =>
      series === undefined ? Effect.void : Effect.asVoid(store.update(sessionId, { catalogSeen: encodeSeen(next) }))
    if (seen === undefined) {
      seen = yield* look
      yield* record(seen)
    }
    const check = Effect.gen(function* () {
      const previous = seen!
      if ((yield* catalog.stamp) === previous.stamp) return
      const next = yield* look
      const changed = KINDS.filter((_, index) => next.digests[index] !== previous.digests[index])
      for (const kind of changed) {
        yield* store.append(sessionId, notification(`notifications/${kind}s/list_changed`))
      }
      seen = next
      // A new stamp with the same lists (a registration written back unchanged) is recorded too,
      // so the next stream need not compare the lists again.
      yield* record(next)
    })
    yield* check.pipe(
      Effect.catchTag("StoreError", (error) =>
        // Stryker disable next-line StringLiteral: log text
        Effect.logWarning("Registry watch failed", error)),
      Effect.repeat(Schedule.spaced(interval))
    )
  }).pipe(Effect.catchTag("SessionNotFound", () => Effect.void), Effect.catchTag("StoreError", () => Effect.void))

/**
 * The messages of one POST's response stream after `after`, ending with its response: what a
 * client that lost that stream gets when it resumes it.
 */
export const responseStreamMessages = (sessionId: SessionId, stream: string, after: number, options: OutboxOptions) =>
  tailOutbox(sessionId, after, options).pipe(
    Stream.filter((entry) => entry.stream === stream),
    Stream.takeWhile((entry) => !isStreamEnd(entry.message)),
    Stream.takeUntil((entry) => !("method" in entry.message))
  )

/**
 * Kept in a response stream's outbox entries when its request ended without a response (it was
 * cancelled), so a resumed stream ends there; never sent to a client.
 */
export const STREAM_END = notification("mcp-lambda-sam/stream-end")

const isStreamEnd = (message: JsonRpcMessage) => "method" in message && message.method === STREAM_END.method

/** A session's own messages after `after` as they arrive, with its list_changed watch running alongside. */
export const sessionMessages = (sessionId: SessionId, after: number, options: OutboxOptions, series?: CatalogSeries) =>
  tailOutbox(sessionId, after, options).pipe(
    // Messages of POST response streams are for those streams (and their resumption) only.
    Stream.filter((entry) => entry.stream === undefined),
    Stream.merge(Stream.fromEffect(watchRegistry(sessionId, options.registryWatchInterval, series)).pipe(Stream.drain), {
      haltStrategy: "left"
    })
  )
