/**
 * `notifications/cancelled`: the requests in flight in this process, by session and id, so a
 * cancellation can stop one; a cancellation for a request running in another container is left
 * in the session's inbox, which each long request checks once a second.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberMap from "effect/FiberMap"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { RequestId } from "../domain/JsonRpc.js"
import type { SessionId } from "../domain/Session.js"
import { cancelKey, type InboxShape } from "../services/Inbox.js"

/** How often a long request checks whether its client cancelled it from another container. */
const CANCEL_POLL = Duration.seconds(1)

export interface Cancellation {
  /**
   * Runs a request's answer so the client can cancel it: a cancelled answer is `none` (MCP:
   * no response), and interrupting the caller interrupts the answer. Without a session, or with
   * its id already in flight, nothing could name it, and it simply runs.
   */
  readonly run: <A>(sessionId: SessionId | undefined, id: RequestId, answer: Effect.Effect<A>) => Effect.Effect<Option.Option<A>>
  /** The client cancels `id`: stopped when it runs here, else left word for in the inbox. */
  readonly cancel: (sessionId: SessionId, id: RequestId) => Effect.Effect<void>
}

export const make = (inbox: InboxShape): Effect.Effect<Cancellation, never, Scope.Scope> =>
  Effect.gen(function* () {
    const inFlight = yield* FiberMap.make<string>()
    const flightKey = (sessionId: SessionId, id: RequestId) => `${sessionId}\u0000${typeof id}:${id}`

    /** Completes once the client's cancellation of `id` is in the inbox (checked each second after the first). */
    const cancelledElsewhere = (sessionId: SessionId, id: RequestId): Effect.Effect<void> =>
      Effect.sleep(CANCEL_POLL).pipe(
        Effect.zipRight(inbox.read(sessionId, [cancelKey(id)])),
        Effect.flatMap((found) =>
          found.size > 0
            // Acted on: the record goes, so later inbox reads of the session stay small.
            ? Effect.ignore(inbox.remove(sessionId, [cancelKey(id)]))
            : cancelledElsewhere(sessionId, id)),
        // Stryker disable next-line StringLiteral: log wording
        Effect.catchTag("StoreError", (error) => Effect.zipRight(Effect.logWarning("Cancellation watch stopped", error), Effect.never))
      )

    /** Interrupts `fiber` when the client cancels `id` from another container (forked interruptible: it is a watcher). */
    const watch = (sessionId: SessionId, id: RequestId, fiber: Fiber.RuntimeFiber<unknown>) =>
      Effect.forkDaemon(Effect.interruptible(Effect.zipRight(cancelledElsewhere(sessionId, id), Fiber.interruptFork(fiber))))

    const run: Cancellation["run"] = (sessionId, id, answer) =>
      Effect.gen(function* () {
        if (sessionId === undefined) return Option.some(yield* answer)
        const key = flightKey(sessionId, id)
        if (yield* FiberMap.has(inFlight, key)) return Option.some(yield* answer)
        // The answer is forked and watched with no gap between the two, so a cancellation (or the
        // caller going away) always reaches it.
        const exit = yield* Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(FiberMap.run(inFlight, key, answer), (fiber) =>
            Effect.flatMap(watch(sessionId, id, fiber), (watcher) =>
              restore(Fiber.await(fiber)).pipe(
                Effect.onInterrupt(() => Fiber.interrupt(fiber)),
                Effect.ensuring(Fiber.interrupt(watcher))
              )))
        )
        return Exit.isSuccess(exit) ? Option.some(exit.value) : Option.none()
      })

    const cancel: Cancellation["cancel"] = (sessionId, id) => {
      const key = flightKey(sessionId, id)
      return Effect.flatMap(FiberMap.has(inFlight, key), (here) =>
        here
          ? FiberMap.remove(inFlight, key)
          : inbox.put(sessionId, cancelKey(id), true).pipe(
            // Stryker disable next-line StringLiteral: log wording
            Effect.catchTag("StoreError", (error) => Effect.logError("Recording a cancellation failed", error))
          ))
    }

    return { run, cancel }
  })
