/**
 * A session's outbox as an SSE body: prelude frames first, then each message with its
 * sequence number as the event id (for `Last-Event-ID`), keep-alive comments while idle,
 * ending after its lifetime, when the session ends, or when the server stops.
 */
import { Deferred, Duration, Effect, Option, Schedule, Stream } from "effect"
import type { OutboxEntry, SessionId } from "../domain/Session.js"
import { Sessions } from "../mcp/Sessions.js"
import { InvocationDeadline, ServerShutdown } from "./HostContext.js"
import { comment, frame } from "./Sse.js"

export interface StreamOptions {
  readonly keepAliveInterval: Duration.DurationInput
  /** An SSE stream ends cleanly after this long (on Lambda also before the invocation's deadline). */
  readonly maxStreamDuration: Duration.DurationInput
  /** On Lambda: how long before the deadline a stream closes. */
  readonly deadlineMargin: Duration.DurationInput
}

export const entryFrame = (entry: OutboxEntry) =>
  frame({ id: entry.seq, event: "message", data: JSON.stringify(entry.message) })

/** The stream's lifetime: the configured maximum, cut short by the invocation's deadline. */
const lifetime = (options: StreamOptions) =>
  Effect.map(Effect.serviceOption(InvocationDeadline), (deadline) => {
    const max = Duration.decode(options.maxStreamDuration)
    return Option.match(deadline, {
      onNone: () => max,
      onSome: ({ remainingMillis }) =>
        Duration.min(max, Duration.millis(Math.max(0, remainingMillis() - Duration.toMillis(options.deadlineMargin))))
    })
  })

/** The SSE body for `sessionId` from `after` on. The stream outlives the handler: it carries its services. */
export const sessionEventStream = (
  sessionId: SessionId,
  after: number,
  options: StreamOptions,
  prelude: ReadonlyArray<Uint8Array> = []
) =>
  Effect.gen(function* () {
    const sessions = yield* Sessions
    const duration = yield* lifetime(options)
    const shutdown = yield* Effect.serviceOption(ServerShutdown)
    const keepAlive = Stream.fromSchedule(Schedule.spaced(options.keepAliveInterval)).pipe(
      Stream.map(() => comment("keep-alive"))
    )
    const body = Stream.fromIterable(prelude).pipe(
      Stream.concat(
        sessions.messages(sessionId, after).pipe(
          Stream.map(entryFrame),
          Stream.merge(keepAlive, { haltStrategy: "left" }),
          Stream.interruptWhen(Effect.sleep(duration))
        )
      )
    )
    return Option.match(shutdown, {
      onNone: () => body,
      onSome: (signal) => Stream.interruptWhen(body, Deferred.await(signal))
    })
  })
