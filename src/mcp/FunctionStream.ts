/**
 * What a streaming function writes: NDJSON, one object per line, each with a `type`.
 * `progress` and `log` lines become notifications while the function runs, a
 * `resource_updated` line tells subscribers, and the one `result` line is the answer (any
 * answer a buffered function may give). Unknown types are logged and skipped.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { InvocationError } from "../domain/errors.js"
import { LoggingLevel } from "../domain/Mcp.js"
import { decodeUnknownEither, describeParseError, lazySchema } from "../domain/Decode.js"

export const ProgressLine = lazySchema(() => Schema.Struct({
  type: Schema.Literal("progress"),
  progress: Schema.Number,
  total: Schema.optional(Schema.Number),
  message: Schema.optional(Schema.String)
}))
export const LogLine = lazySchema(() => Schema.Struct({
  type: Schema.Literal("log"),
  level: LoggingLevel,
  logger: Schema.optional(Schema.String),
  data: Schema.Unknown
}))
export const ResourceUpdatedLine = lazySchema(() => Schema.Struct({ type: Schema.Literal("resource_updated"), uri: Schema.String }))
export const ResultLine = lazySchema(() => Schema.Struct({ type: Schema.Literal("result"), result: Schema.Unknown }))

export const StreamLine = lazySchema(() => Schema.Union(ProgressLine.built(), LogLine.built(), ResourceUpdatedLine.built(), ResultLine.built()))
export type StreamLine = typeof StreamLine.Type
export type Event = Exclude<StreamLine, { readonly type: "result" }>

const TYPES: ReadonlySet<string> = new Set(["progress", "log", "resource_updated", "result"])

/** The function's stream broke the contract; the message says how (it reaches the client). */
export class StreamProblem extends Data.TaggedError("StreamProblem")<{ readonly message: string }> {}

const decodeLine = decodeUnknownEither(StreamLine, { errors: "all" })

/** One line: a known line, nothing (blank or of an unknown type), or the problem with it. */
const parseLine = (text: string, number: number): Effect.Effect<Option.Option<StreamLine>, StreamProblem> => {
  if (text.trim() === "") return Effect.succeed(Option.none())
  const json = Either.try(() => JSON.parse(text) as unknown)
  if (Either.isLeft(json)) {
    return Effect.fail(new StreamProblem({ message: `wrote line ${number}, which is not JSON: ${text.slice(0, 80)}` }))
  }
  const type = typeof json.right === "object" && json.right !== null ? (json.right as { type?: unknown }).type : undefined
  if (typeof type !== "string" || !TYPES.has(type)) {
    return Effect.as(Effect.logWarning(`Streaming function line ${number} has unknown type ${JSON.stringify(type)}; skipped`), Option.none())
  }
  return Either.match(decodeLine(json.right), {
    onLeft: (error) => Effect.fail(new StreamProblem({ message: `wrote an invalid ${type} line ${number}: ${describeParseError(error, "line")}` })),
    onRight: (line) => Effect.succeed(Option.some(line))
  })
}

/**
 * Reads a streaming function's answer: each event goes to `onEvent` as it arrives; the result
 * line's `result` is the answer. No result line, a second one, or a line that is not JSON is
 * a StreamProblem.
 */
export const readAnswer = <R>(
  bytes: Stream.Stream<Uint8Array, InvocationError>,
  onEvent: (event: Event) => Effect.Effect<void, never, R>
): Effect.Effect<unknown, InvocationError | StreamProblem, R> =>
  bytes.pipe(
    Stream.decodeText(),
    Stream.splitLines,
    Stream.zipWithIndex,
    Stream.mapEffect(([text, index]) => parseLine(text, index + 1)),
    Stream.filterMap((line) => line),
    Stream.runFoldEffect(Option.none<{ readonly result: unknown }>(), (answer, line) => {
      if (line.type !== "result") return Effect.as(onEvent(line), answer)
      if (Option.isSome(answer)) return Effect.fail(new StreamProblem({ message: "wrote a second result line" }))
      return Effect.succeed(Option.some({ result: line.result }))
    }),
    Effect.flatMap(Option.match({
      onNone: () => Effect.fail(new StreamProblem({ message: "ended its stream without a result line" })),
      onSome: ({ result }) => Effect.succeed(result)
    }))
  )
