/**
 * Outbox messages as SSE bodies: the session's own stream (`GET /mcp`, legacy `GET /sse`) and a
 * resumed POST response stream. Each message carries its event id (for `Last-Event-ID`);
 * keep-alive comments fill idle time; a stream ends after its lifetime, when the session ends,
 * or when the server stops. Streams for 2025-11-25 clients begin with a priming event (an id,
 * a `retry` interval and empty data), so a client whose stream ends resumes where it was.
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { OutboxEntry, SessionId } from "../domain/Session.js"
import type { CatalogSeries } from "../mcp/Outbox.js"
import { Sessions } from "../mcp/Sessions.js"
import { responseEventId, sessionEventId } from "./EventIds.js"
import { InvocationDeadline, ServerShutdown } from "./HostContext.js"
import { comment, frame } from "./Sse.js"

export interface StreamOptions {
  readonly keepAliveInterval: Duration.DurationInput
  /** An SSE stream ends cleanly after this long (on Lambda also before the invocation's deadline). */
  readonly maxStreamDuration: Duration.DurationInput
  /** On Lambda: how long before the deadline a stream closes. */
  readonly deadlineMargin: Duration.DurationInput
  /** The `retry` a priming event tells clients: how long to wait before resuming an ended stream. */
  readonly retryInterval: Duration.DurationInput
  /**
   * A standing stream (`GET /mcp` of a 2025-11-25 session) that has had nothing to send for this
   * long ends; its client comes back after `idleRetry` and reads on from where it was. Zero: it
   * lives its whole lifetime.
   */
  readonly idleWindow: Duration.DurationInput
  /** The `retry` a short standing stream tells its client: how long it stays away. */
  readonly idleRetry: Duration.DurationInput
}

export const messageFrame = (message: unknown, id?: string) =>
  frame({ ...(id === undefined ? {} : { id }), event: "message", data: JSON.stringify(message) })

export const entryFrame = (entry: OutboxEntry) =>
  messageFrame(entry.message, entry.stream === undefined ? sessionEventId(entry.seq) : responseEventId(entry.stream, entry.seq))

/** The first event of a resumable stream: where it starts, and how soon to come back. */
export const primingFrame = (id: string, retry: Duration.DurationInput) => frame({ id, retry: Duration.toMillis(retry), data: "" })

/** The stream's lifetime: the configured maximum, cut short by the invocation's deadline. */
export const lifetime = (options: StreamOptions) =>
  Effect.map(Effect.serviceOption(InvocationDeadline), (deadline) => {
    const max = Duration.decode(options.maxStreamDuration)
    return Option.match(deadline, {
      onNone: () => max,
      onSome: ({ remainingMillis }) =>
        Duration.min(max, Duration.millis(Math.max(0, remainingMillis() - Duration.toMillis(options.deadlineMargin))))
    })
  })

/** Ends `body` after the stream's lifetime, or when the server stops. */
export const bounded = <E, R>(body: Stream.Stream<Uint8Array, E, R>, options: StreamOptions) =>
  Effect.gen(function* () {
    const duration = yield* lifetime(options)
    const shutdown = yield* Effect.serviceOption(ServerShutdown)
    const timed = Stream.interruptWhen(body, Effect.sleep(duration))
    return Option.match(shutdown, {
      onNone: () => timed,
      onSome: (signal) => Stream.interruptWhen(timed, Deferred.await(signal))
    })
  })

/** Ends `stream` once it has emitted nothing for `window` (counted from the start, then from each element). */
export const endWhenIdle = <A, E, R>(stream: Stream.Stream<A, E, R>, window: Duration.DurationInput) =>
  Stream.unwrap(Effect.gen(function* () {
    const windowMillis = Duration.toMillis(window)
    const lastActivity = yield* Ref.make(yield* Clock.currentTimeMillis)
    const idle = Effect.gen(function* () {
      for (;;) {
        const due = (yield* Ref.get(lastActivity)) + windowMillis
        const now = yield* Clock.currentTimeMillis
        if (now >= due) return
        yield* Effect.sleep(Duration.millis(due - now))
      }
    })
    return stream.pipe(
      Stream.tap(() => Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.set(lastActivity, now))),
      Stream.interruptWhen(idle)
    )
  }))

export const withKeepAlive = (messages: Stream.Stream<Uint8Array>, options: StreamOptions) =>
  Stream.merge(messages, Stream.map(Stream.fromSchedule(Schedule.spaced(options.keepAliveInterval)), () => comment("keep-alive")), {
    haltStrategy: "left"
  })

/** How a session stream opens, and whether it is a short standing stream. */
export interface SessionStreamStart {
  /** Frames sent first (the legacy endpoint event); without them, a priming event or a comment. */
  readonly prelude?: ReadonlyArray<Uint8Array>
  /** A resumable client: the stream opens with a priming event. */
  readonly priming?: boolean
  /**
   * A standing stream of a resumable client: it ends when idle (`idleWindow`), tells the client
   * to come back after `idleRetry`, and continues the session's list_changed series.
   */
  readonly standing?: CatalogSeries
}

/**
 * The session's own stream from `after` on. `prelude` frames go first; without one, a priming
 * event (resumable clients) or a comment sends the headers at once.
 */
export const sessionEventStream = (
  sessionId: SessionId,
  after: number,
  options: StreamOptions,
  start: SessionStreamStart = {}
) =>
  Effect.gen(function* () {
    const sessions = yield* Sessions
    const short = start.standing !== undefined && Duration.toMillis(options.idleWindow) > 0
    const retry = short ? options.idleRetry : options.retryInterval
    const opening = start.prelude ??
      [start.priming === true ? primingFrame(sessionEventId(after), retry) : comment("stream open")]
    const entries = sessions.messages(sessionId, after, start.standing)
    const messages = withKeepAlive(
      Stream.map(short ? endWhenIdle(entries, options.idleWindow) : entries, entryFrame),
      options
    )
    return Stream.concat(Stream.fromIterable(opening), yield* bounded(messages, options))
  })

/** A POST's response stream resumed after `after`: the rest of its messages, ending with its response. */
export const responseEventStream = (sessionId: SessionId, stream: string, after: number, options: StreamOptions) =>
  Effect.gen(function* () {
    const sessions = yield* Sessions
    const messages = withKeepAlive(Stream.map(sessions.streamMessages(sessionId, stream, after), entryFrame), options)
    return Stream.concat(Stream.succeed(primingFrame(responseEventId(stream, after), options.retryInterval)), yield* bounded(messages, options))
  })
