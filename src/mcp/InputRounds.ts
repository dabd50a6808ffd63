/**
 * Questions from a function to the client: a function may answer with MCP 2026-07-28's
 * input-required shape, `{ resultType: "input_required", inputRequests: { <key>: { method,
 * params } }, requestState? }`. For a 2025 client the server asks each question itself, as a
 * server→client JSON-RPC request on the request's stream, collects the answers (they arrive
 * as separate POSTs, possibly in other containers, through the session inbox) and invokes the
 * function again with `inputResponses` and the `requestState`, for at most MAX_ROUNDS rounds.
 */
import { randomBytes } from "node:crypto"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { StoreError } from "../domain/errors.js"
import { type JsonRpcRequest } from "../domain/JsonRpc.js"
import { isPlainObject } from "../domain/Registration.js"
import { Inbox, replyKey } from "../services/Inbox.js"
import { McpRequest } from "./McpRequest.js"
import { EngineSettings } from "./Method.js"
import { unwrap } from "./Results.js"
import { decodeUnknownEither, describeParseError, lazySchema } from "../domain/Decode.js"

export const MAX_ROUNDS = 8

/** The questions a function may ask, and the client capability each needs. */
export const CAPABILITY_OF = {
  "elicitation/create": "elicitation",
  "sampling/createMessage": "sampling",
  "roots/list": "roots"
} as const

export const InputRequest = lazySchema(() => Schema.Struct({
  method: Schema.Literal(...(Object.keys(CAPABILITY_OF) as Array<keyof typeof CAPABILITY_OF>)),
  params: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}))

export const InputRequiredResult = lazySchema(() => Schema.Struct({
  resultType: Schema.Literal("input_required"),
  inputRequests: Schema.Record({ key: Schema.String, value: InputRequest.built() }),
  requestState: Schema.optional(Schema.String)
}))
export type InputRequiredResult = typeof InputRequiredResult.Type

/** Why a round of questions could not finish; the message reaches the client as a tool error. */
export class InputProblem extends Data.TaggedError("InputProblem")<{ readonly message: string }> {}

const decodeInputRequired = decodeUnknownEither(InputRequiredResult, { errors: "all" })

/** The input-required answer inside a function's answer, if that is what it is. */
export const inputRequiredOf = (answer: unknown): Option.Option<Either.Either<InputRequiredResult, InputProblem>> => {
  const { body } = unwrap(answer)
  if (!isPlainObject(body) || body["resultType"] !== "input_required") return Option.none()
  return Option.some(Either.mapLeft(decodeInputRequired(body), (error) =>
    new InputProblem({ message: `asked for input in an invalid form: ${describeParseError(error, "answer")}` })))
}

/**
 * The capability a question needs of the client, if the client lacks it (`declared` is what it
 * declared): elicitation by mode (`{}` means form only), sampling with tools by `sampling.tools`.
 */
export const missingCapability = (
  question: typeof InputRequest.Type,
  declared: Readonly<Record<string, unknown>>
): Record<string, unknown> | undefined => {
  const capability = CAPABILITY_OF[question.method]
  const granted = declared[capability]
  if (!isPlainObject(granted)) return { [capability]: {} }
  if (question.method === "elicitation/create") {
    const mode = question.params?.["mode"] === "url" ? "url" : "form"
    const formOnly = granted["form"] === undefined && granted["url"] === undefined
    return granted[mode] !== undefined || (mode === "form" && formOnly) ? undefined : { elicitation: { [mode]: {} } }
  }
  if (question.method === "sampling/createMessage" && question.params?.["tools"] !== undefined) {
    return granted["tools"] !== undefined ? undefined : { sampling: { tools: {} } }
  }
  return undefined
}

const describeMissing = (missing: Record<string, unknown>) =>
  Object.entries(missing).map(([name, sub]) => (isPlainObject(sub) && Object.keys(sub).length > 0 ? `${name}.${Object.keys(sub).join(",")}` : name)).join(", ")

/** The error answer a function gets for a question the client could not be asked. */
export const notDeclared = (missing: Record<string, unknown>) =>
  unanswerable(`The client did not declare the ${describeMissing(missing)} capability`)

/** A JSON-RPC error object in place of an answer the client cannot give. */
const unanswerable = (message: string) => ({ error: { code: -32601, message } })

/** Ids of the server's own requests start with this, so the client's answers can be told apart. */
export const SERVER_REQUEST_PREFIX = "srv-"

const newRequestId = () => `${SERVER_REQUEST_PREFIX}${randomBytes(12).toString("base64url")}`

/** Asks the client every question it can answer and waits for all answers; the rest get errors. */
export const ask = (requests: InputRequiredResult["inputRequests"]) =>
  Effect.gen(function* () {
    const request = yield* McpRequest
    const inbox = yield* Inbox
    const { inputTimeout } = yield* EngineSettings
    const live = request.effects.live
    if (request.sessionId === undefined || live === undefined) {
      return yield* new InputProblem({ message: "asked the client for input, which this request cannot carry (no session)" })
    }
    const sessionId = request.sessionId
    const responses: Record<string, unknown> = {}
    const asked: Array<{ readonly key: string; readonly id: string; readonly method: string }> = []
    for (const [key, question] of Object.entries(requests)) {
      const missing = missingCapability(question, request.clientCapabilities ?? {})
      if (missing !== undefined) {
        responses[key] = notDeclared(missing)
        continue
      }
      const id = newRequestId()
      const message: JsonRpcRequest = { jsonrpc: "2.0", id, method: question.method, params: question.params ?? {} }
      yield* live(message)
      asked.push({ key, id, method: question.method })
    }
    if (asked.length === 0) return responses
    const keys = asked.map(({ id }) => replyKey(id))
    // Answers arrive through the inbox: polled quickly at first, then once a second.
    const poll = (delayMillis: number): Effect.Effect<ReadonlyMap<string, unknown>, StoreError> =>
      Effect.flatMap(inbox.read(sessionId, keys), (found) =>
        found.size === keys.length
          ? Effect.succeed(found)
          : Effect.zipRight(Effect.sleep(Duration.millis(delayMillis)), Effect.suspend(() => poll(Math.min(1000, delayMillis * 1.5)))))
    // The client cannot have answered yet: wait before the first read.
    const answers = yield* Effect.zipRight(Effect.sleep(Duration.millis(50)), poll(75)).pipe(
      Effect.timeoutFail({
        duration: inputTimeout,
        onTimeout: () =>
          new InputProblem({ message: `asked the client for ${asked.map(({ method }) => method).join(", ")} and got no answer in time` })
      }),
      Effect.catchTag("StoreError", (error) =>
        Effect.zipRight(Effect.logError("Inbox read failed", error), Effect.fail(new InputProblem({ message: "could not receive the client's answer" }))))
    )
    yield* Effect.ignoreLogged(inbox.remove(sessionId, keys))
    for (const { id, key, method } of asked) {
      const answer = answers.get(replyKey(id))
      if (isPlainObject(answer) && isPlainObject(answer["error"])) {
        const message = typeof answer["error"]["message"] === "string" ? answer["error"]["message"] : "an error"
        return yield* new InputProblem({ message: `asked the client for ${method}, which answered with an error: ${message}` })
      }
      responses[key] = isPlainObject(answer) ? answer["result"] : undefined
    }
    return responses
  })

/**
 * Runs `call` (one invocation, given what to add to its payload) until the function answers
 * without asking for input, asking the client in between.
 */
export const withInputRounds = <E, R>(call: (input: Record<string, unknown>) => Effect.Effect<unknown, E, R>) =>
  Effect.gen(function* () {
    let input: Record<string, unknown> = {}
    for (let round = 0; ; round++) {
      const answer = yield* call(input)
      const asked = inputRequiredOf(answer)
      if (Option.isNone(asked)) return answer
      const questions = yield* asked.value
      if (round + 1 >= MAX_ROUNDS) {
        return yield* new InputProblem({ message: `asked for input ${MAX_ROUNDS} times; giving up` })
      }
      const inputResponses = yield* ask(questions.inputRequests)
      input = { inputResponses, ...(questions.requestState === undefined ? {} : { requestState: questions.requestState }) }
    }
  })
