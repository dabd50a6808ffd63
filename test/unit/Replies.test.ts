/**
 * How a POST's answer travels (src/http/Replies.ts): 202 or JSON when there is nothing to
 * stream, SSE when messages go first; for 2025-11-25 sessions a resumable stream that begins
 * with a priming event and whose events carry the ids the outbox gave them.
 */
import { HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Ref } from "effect"
import type { JsonRpcMessage, JsonRpcNotification, JsonRpcResponse } from "../../src/domain/JsonRpc.js"
import type { OutboxEntry, Session, SessionId } from "../../src/domain/Session.js"
import { StoreError } from "../../src/domain/errors.js"
import type { Live, Outcome } from "../../src/mcp/Engine.js"
import { STREAM_END } from "../../src/mcp/Outbox.js"
import type { SessionsShape } from "../../src/mcp/Sessions.js"
import { BackgroundWork } from "../../src/http/HostContext.js"
import { reply, replyLive, replyResumable, type ResumableOptions } from "../../src/http/Replies.js"

const log = (text: string): JsonRpcNotification => ({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: text } })
const answer = (id: number): JsonRpcResponse => ({ jsonrpc: "2.0", id, result: { id } })

const outcome = (fields: Partial<Outcome>): Outcome => ({
  notifications: [],
  responses: [],
  batch: false,
  changes: {},
  requests: 1,
  ...fields
})

/** What a client receives: status, the headers that matter, the body. */
const received = (response: HttpServerResponse.HttpServerResponse) =>
  Effect.promise(async () => {
    const web = HttpServerResponse.toWeb(response)
    return {
      status: web.status,
      contentType: web.headers.get("content-type"),
      cacheControl: web.headers.get("cache-control"),
      custom: web.headers.get("x-custom"),
      body: await web.text()
    }
  })

/** The `data:` of each `event: message` of an SSE body. */
const messagesIn = (body: string) =>
  body.split("\n\n").filter((block) => block.includes("event: message")).map((block) =>
    JSON.parse(block.split("\n").find((line) => line.startsWith("data: "))!.slice(6)) as JsonRpcMessage
  )

const SSE = /^text\/event-stream/

describe("reply", () => {
  it.effect("a request's answer alone is JSON, with the status and headers given", () =>
    Effect.gen(function* () {
      const plain = yield* received(reply(outcome({ responses: [answer(1)] }), { "x-custom": "yes" }, 404))
      expect(plain).toMatchObject({ status: 404, custom: "yes", contentType: expect.stringMatching(/^application\/json/) })
      expect(JSON.parse(plain.body)).toEqual(answer(1))
      expect((yield* received(reply(outcome({ responses: [answer(1)] })))).status).toBe(200)
    }))

  it.effect("a batch is answered with an array, even of one response", () =>
    Effect.gen(function* () {
      const one = yield* received(reply(outcome({ responses: [answer(1)], batch: true })))
      expect(JSON.parse(one.body)).toEqual([answer(1)])
      const two = yield* received(reply(outcome({ responses: [answer(1), answer(2)], batch: true })))
      expect(JSON.parse(two.body)).toEqual([answer(1), answer(2)])
    }))

  it.effect("notifications, responses or requests aside, nothing to answer is 202 with an empty body", () =>
    Effect.gen(function* () {
      const accepted = yield* received(reply(outcome({ requests: 0 }), { "x-custom": "yes" }))
      expect(accepted).toMatchObject({ status: 202, custom: "yes", body: "" })
    }))

  it.effect("a cancelled request (no response) gets an SSE stream that just ends", () =>
    Effect.gen(function* () {
      const cancelled = yield* received(reply(outcome({ requests: 1 }), { "x-custom": "yes" }))
      expect(cancelled).toMatchObject({ status: 200, contentType: expect.stringMatching(SSE), custom: "yes", body: "" })
      expect(cancelled.cacheControl).toBe("no-cache, no-transform")
    }))

  it.effect("notifications before the response make it an SSE stream: the notifications first, the response last", () =>
    Effect.gen(function* () {
      const streamed = yield* received(reply(outcome({ notifications: [log("a"), log("b")], responses: [answer(1)] }), { "x-custom": "yes" }))
      expect(streamed).toMatchObject({ status: 200, contentType: expect.stringMatching(SSE), custom: "yes" })
      expect(streamed.cacheControl).toBe("no-cache, no-transform")
      expect(messagesIn(streamed.body)).toEqual([log("a"), log("b"), answer(1)])
      expect(streamed.body).not.toMatch(/^id:/m)
    }))
})

describe("replyLive", () => {
  it.live("a request that sends nothing first is answered as JSON, with the status its outcome maps to", () =>
    Effect.gen(function* () {
      const done = outcome({ responses: [answer(3)] })
      const response = yield* replyLive(() => Effect.succeed(done), { "x-custom": "yes" }, () => 404)
      const json = yield* received(response)
      expect(json).toMatchObject({ status: 404, custom: "yes", contentType: expect.stringMatching(/^application\/json/) })
      expect(JSON.parse(json.body)).toEqual(answer(3))
      expect((yield* received(yield* replyLive(() => Effect.succeed(done))))).toMatchObject({ status: 200 })
    }))

  it.live("a message sent while the request runs opens an SSE stream; the rest follow it, the response last", () =>
    Effect.gen(function* () {
      const release = yield* Deferred.make<void>()
      const handle = (live: Live) =>
        Effect.gen(function* () {
          yield* live(log("first"))
          yield* Deferred.await(release)
          yield* live(log("second"))
          return outcome({ notifications: [log("kept")], responses: [answer(4)] })
        })
      const response = yield* replyLive(handle, { "x-custom": "yes" }, () => 404)
      yield* Deferred.succeed(release, undefined)
      const streamed = yield* received(response)
      expect(streamed).toMatchObject({ status: 200, custom: "yes", contentType: expect.stringMatching(SSE) })
      expect(messagesIn(streamed.body)).toEqual([log("first"), log("second"), log("kept"), answer(4)])
    }))

  it.live("notifications sent just before the request ends still go first, in a stream", () =>
    Effect.gen(function* () {
      const handle = (live: Live) =>
        Effect.as(Effect.zipRight(live(log("early")), live(log("late"))), outcome({ responses: [answer(5)] }))
      const streamed = yield* received(yield* replyLive(handle))
      expect(streamed.contentType).toMatch(SSE)
      expect(messagesIn(streamed.body)).toEqual([log("early"), log("late"), answer(5)])
    }))

  it.live("a client that leaves the stream interrupts the request", () =>
    Effect.gen(function* () {
      const interrupted = yield* Deferred.make<void>()
      const handle = (live: Live) =>
        Effect.zipRight(live(log("started")), Effect.never).pipe(
          Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)),
          Effect.as(outcome({}))
        )
      const web = HttpServerResponse.toWeb(yield* replyLive(handle))
      const reader = web.body!.getReader()
      yield* Effect.promise(() => reader.read())
      yield* Effect.promise(() => reader.cancel())
      yield* Deferred.await(interrupted).pipe(Effect.timeout("2 seconds"))
    }))
})

describe("replyResumable", () => {
  const options: ResumableOptions = {
    keepAliveInterval: Duration.seconds(20),
    maxStreamDuration: Duration.seconds(30),
    deadlineMargin: Duration.seconds(10),
    retryInterval: Duration.millis(250),
    idleWindow: Duration.seconds(2),
    idleRetry: Duration.seconds(30),
    streamAfter: Duration.millis(50)
  }
  const sessionId = "s-1" as SessionId
  const session = { id: sessionId, lastSeq: 7 } as unknown as Session

  /** Sessions whose outbox numbers messages on from 8 (or fails, when `broken`). */
  const fakeSessions = (broken = false) =>
    Effect.gen(function* () {
      const kept = yield* Ref.make<ReadonlyArray<OutboxEntry>>([])
      const append: SessionsShape["append"] = (id, messages, stream) =>
        broken
          ? Effect.fail(new StoreError({ operation: "outbox.append", cause: new Error("down") }))
          : Ref.modify(kept, (entries) => {
            const added = messages.map((message, index): OutboxEntry => ({
              sessionId: id,
              seq: 8 + entries.length + index,
              message,
              ...(stream === undefined ? {} : { stream }),
              createdAt: 0
            }))
            return [added, [...entries, ...added]]
          })
      return { kept, sessions: { append } as unknown as SessionsShape }
    })

  it.live("a request that finishes at once with nothing sent is plain JSON, and nothing is kept", () =>
    Effect.gen(function* () {
      const { kept, sessions } = yield* fakeSessions()
      const response = yield* replyResumable(() => Effect.succeed(outcome({ responses: [answer(1)] })), { session, sessions }, options)
      const json = yield* received(response)
      expect(json.contentType).toMatch(/^application\/json/)
      expect(JSON.parse(json.body)).toEqual(answer(1))
      expect(yield* Ref.get(kept)).toEqual([])
    }))

  it.live("a slow request answers a stream: a priming event at the session's last seq, then each event with its outbox id", () =>
    Effect.gen(function* () {
      const { kept, sessions } = yield* fakeSessions()
      const handle = (live: Live) =>
        Effect.gen(function* () {
          yield* Effect.sleep("150 millis")
          yield* live(log("progress"))
          return outcome({ responses: [answer(2)] })
        })
      const streamed = yield* received(yield* replyResumable(handle, { session, sessions }, options))
      expect(streamed.contentType).toMatch(SSE)
      expect(streamed.cacheControl).toBe("no-cache, no-transform")
      const stream = (yield* Ref.get(kept))[0]!.stream!
      expect(stream).toMatch(/^[0-9a-f]{16}$/)
      expect(streamed.body).toBe(
        `id: 7@${stream}\nretry: 250\ndata: \n\n` +
          `id: 8@${stream}\nevent: message\ndata: ${JSON.stringify(log("progress"))}\n\n` +
          `id: 9@${stream}\nevent: message\ndata: ${JSON.stringify(answer(2))}\n\n`
      )
      expect((yield* Ref.get(kept)).map((entry) => entry.message)).toEqual([log("progress"), answer(2)])
    }))

  it.live("a message sent first opens the stream at once, after the priming event", () =>
    Effect.gen(function* () {
      const { sessions } = yield* fakeSessions()
      const release = yield* Deferred.make<void>()
      const handle = (live: Live) =>
        Effect.zipRight(live(log("now")), Effect.as(Deferred.await(release), outcome({ responses: [answer(3)] })))
      const response = yield* replyResumable(handle, { session, sessions }, { ...options, streamAfter: Duration.seconds(30) })
      yield* Deferred.succeed(release, undefined)
      const streamed = yield* received(response)
      expect(messagesIn(streamed.body)).toEqual([log("now"), answer(3)])
      expect(streamed.body).toMatch(/^id: 7@[0-9a-f]{16}\nretry: 250\ndata: \n\n/)
    }))

  it.live("a message sent just before the request finishes is not lost: the answer is a stream holding it", () =>
    Effect.gen(function* () {
      const { sessions } = yield* fakeSessions()
      const handle = (live: Live) => Effect.as(live(log("last words")), outcome({ responses: [answer(6)] }))
      const streamed = yield* received(yield* replyResumable(handle, { session, sessions }, { ...options, streamAfter: Duration.seconds(30) }))
      expect(streamed.contentType).toMatch(SSE)
      expect(messagesIn(streamed.body)).toEqual([log("last words"), answer(6)])
    }))

  it.live("a request cancelled on a slow stream keeps an end mark for resumers, and its stream ends", () =>
    Effect.gen(function* () {
      const { kept, sessions } = yield* fakeSessions()
      const handle = () => Effect.as(Effect.sleep("150 millis"), outcome({}))
      const streamed = yield* received(yield* replyResumable(handle, { session, sessions }, options))
      expect(messagesIn(streamed.body)).toEqual([])
      expect((yield* Ref.get(kept)).map((entry) => entry.message)).toEqual([STREAM_END])
    }))

  it.live("when the outbox cannot keep them, the events are still sent, without ids", () =>
    Effect.gen(function* () {
      const { sessions } = yield* fakeSessions(true)
      const handle = (live: Live) => Effect.zipRight(live(log("unkept")), Effect.as(Effect.sleep("100 millis"), outcome({ responses: [answer(4)] })))
      const streamed = yield* received(yield* replyResumable(handle, { session, sessions }, options))
      expect(messagesIn(streamed.body)).toEqual([log("unkept"), answer(4)])
      expect(streamed.body.match(/^id: /gm)).toHaveLength(1)
    }))

  it.live("the request goes on after the client leaves, and the host is told to wait for it", () =>
    Effect.gen(function* () {
      const { kept, sessions } = yield* fakeSessions()
      const waited = yield* Ref.make<ReadonlyArray<Promise<unknown>>>([])
      const release = yield* Deferred.make<void>()
      const handle = (live: Live) =>
        Effect.zipRight(live(log("started")), Effect.as(Deferred.await(release), outcome({ responses: [answer(5)] })))
      const response = yield* replyResumable(handle, { session, sessions }, options).pipe(
        Effect.provideService(BackgroundWork, { keep: (work) => Effect.runSync(Ref.update(waited, (all) => [...all, work])) })
      )
      const web = HttpServerResponse.toWeb(response)
      const reader = web.body!.getReader()
      yield* Effect.promise(() => reader.read())
      yield* Effect.promise(() => reader.cancel())
      expect(yield* Ref.get(waited)).toHaveLength(1)
      yield* Deferred.succeed(release, undefined)
      yield* Effect.promise(() => (Effect.runSync(Ref.get(waited)))[0]!)
      expect((yield* Ref.get(kept)).map((entry) => entry.message)).toEqual([log("started"), answer(5)])
    }))
})
