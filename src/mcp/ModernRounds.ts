/**
 * Multi round-trip requests of 2026-07-28: a function's input-required answer goes to the
 * client as it is — the questions the client can answer (its request `_meta` declares the
 * capability) and a sealed `requestState` — and the client's retry, carrying `inputResponses`
 * and that state, invokes the function again. The state binds the caller, the method and its
 * target and an expiry; questions the client could not be asked come back to the function as
 * error answers in the next round, as on the 2025 path.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { isPlainObject } from "../domain/Registration.js"
import { InvalidParams, MissingRequiredClientCapability } from "./Errors.js"
import {
  type InputProblem,
  InputRequest,
  type InputRequiredResult,
  inputRequiredOf,
  missingCapability,
  notDeclared,
  withInputRounds
} from "./InputRounds.js"
import { isModern, McpRequest } from "./McpRequest.js"
import { RequestStateSeal } from "./RequestState.js"
import type { Inbox } from "../services/Inbox.js"
import type { EngineSettings } from "./Method.js"
import { decodeUnknownOption, lazySchema, onFirstUse } from "../domain/Decode.js"

/** What a retry carries (already in the method's params). */
export interface RoundInput {
  readonly inputResponses?: unknown
  readonly requestState?: string | undefined
}

/** What the server keeps inside the sealed state: the function's own state, and answers it owes it. */
const Kept = lazySchema(() => Schema.parseJson(Schema.Struct({
  state: Schema.optional(Schema.String),
  unanswerable: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})))
const encodeKept = onFirstUse(() => Schema.encodeSync(Kept.built()))
const decodeKept = decodeUnknownOption(Kept)

/** The payload additions for the function: its answers so far and its own state (the sealed state opened). */
export const inputOf = (round: RoundInput, target: string) =>
  Effect.gen(function* () {
    const request = yield* McpRequest
    const seal = yield* RequestStateSeal
    const responses = round.inputResponses
    if (responses !== undefined && (!isPlainObject(responses) || !Object.values(responses).every(isPlainObject))) {
      return yield* new InvalidParams({ message: "Invalid params: inputResponses must map each key to an object" })
    }
    if (round.requestState === undefined) {
      return responses === undefined ? {} : { inputResponses: responses }
    }
    const opened = yield* seal.unseal(round.requestState, { principal: request.principal ?? "", tool: target }).pipe(
      Effect.mapError((rejected) => new InvalidParams({ message: `Invalid params: ${rejected.message}` }))
    )
    const kept = decodeKept(opened)
    if (Option.isNone(kept)) return yield* new InvalidParams({ message: "Invalid params: requestState rejected: malformed" })
    return {
      inputResponses: { ...kept.value.unanswerable, ...(responses ?? {}) },
      ...(kept.value.state === undefined ? {} : { requestState: kept.value.state })
    }
  })

/** The input-required result for the client: the questions it can answer, the rest kept for later. */
const forClient = (questions: InputRequiredResult, target: string) =>
  Effect.gen(function* () {
    const request = yield* McpRequest
    const seal = yield* RequestStateSeal
    const declared = request.clientCapabilities ?? {}
    const asked: Record<string, InputRequiredResult["inputRequests"][string]> = {}
    const unanswerable: Record<string, unknown> = {}
    const missing: Record<string, unknown> = {}
    for (const [key, question] of Object.entries(questions.inputRequests)) {
      const lacking = missingCapability(question, declared)
      if (lacking === undefined) {
        asked[key] = question
      } else {
        Object.assign(missing, lacking)
        unanswerable[key] = notDeclared(lacking)
      }
    }
    if (Object.keys(asked).length === 0 && Object.keys(missing).length > 0) {
      return yield* new MissingRequiredClientCapability({ requiredCapabilities: missing })
    }
    const requestState = yield* seal.seal(
      encodeKept({ ...(questions.requestState === undefined ? {} : { state: questions.requestState }), unanswerable }),
      { principal: request.principal ?? "", tool: target }
    )
    return { resultType: "input_required" as const, inputRequests: asked, requestState }
  })

/**
 * One round of a 2026-07-28 request: invokes (through `call`) with what the client brought,
 * and turns an input-required answer into the result for the client. `target` names what the
 * state is bound to (method and tool, prompt or URI).
 */
export const modernRound = <E, R>(
  round: RoundInput,
  target: string,
  call: (input: Record<string, unknown>) => Effect.Effect<unknown, E, R>
) =>
  Effect.gen(function* () {
    const answer = yield* call(yield* inputOf(round, target))
    const asked = inputRequiredOf(answer)
    if (Option.isNone(asked)) return { _tag: "Answer" as const, answer }
    const questions: InputRequiredResult = yield* asked.value
    return { _tag: "InputRequired" as const, result: yield* forClient(questions, target) }
  })

export type ModernRoundError = InputProblem

/** The input-required result a 2026-07-28 client gets (method results are a union with it). */
export const ModernInputRequired = lazySchema(() => Schema.Struct({
  resultType: Schema.Literal("input_required"),
  inputRequests: Schema.Record({ key: Schema.String, value: InputRequest.built() }),
  requestState: Schema.String
}))

/**
 * A request that may ask the client for input, in either era: 2026-07-28 hands the questions
 * back in the result (one round per request); 2025 asks the client itself, round after round.
 */
export const withRounds = <E, R>(
  round: RoundInput,
  target: string,
  call: (input: Record<string, unknown>) => Effect.Effect<unknown, E, R>
): Effect.Effect<
  Round,
  E | InputProblem | InvalidParams | MissingRequiredClientCapability,
  R | McpRequest | RequestStateSeal | Inbox | EngineSettings
> =>
  Effect.flatMap(McpRequest, (request): Effect.Effect<
    Round,
    E | InputProblem | InvalidParams | MissingRequiredClientCapability,
    R | McpRequest | RequestStateSeal | Inbox | EngineSettings
  > =>
    isModern(request)
      ? modernRound(round, target, call)
      : Effect.map(withInputRounds(call), (answer): Round => ({ _tag: "Answer", answer })))

export type Round =
  | { readonly _tag: "Answer"; readonly answer: unknown }
  | { readonly _tag: "InputRequired"; readonly result: typeof ModernInputRequired.Type }
