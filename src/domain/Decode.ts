/**
 * Decoding that never throws. `Schema.decodeUnknownEither` can throw on input that JSON may
 * carry: a union of structs told apart by a literal field (`jsonrpc`, `type`, …) reads that
 * field with `String(value)`, and `{ "toString": null }` makes that throw (effect 3.22). On
 * untrusted input a throw would be a defect and a 500; here it is a parse error like any other,
 * reported at the schema's top.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { ParseOptions } from "effect/SchemaAST"

const UNREADABLE = "a value that cannot be read (an object whose toString or valueOf is not a function)"

/**
 * `Schema.decodeUnknownEither`, but a throw while decoding is a `ParseError`. The decoder is
 * compiled on its first use, not where it is declared: most are declared at a module's top level,
 * and a cold start would otherwise compile every one of them, used or not.
 */
export const decodeUnknownEither = <A, I>(schema: Schema.Schema<A, I, never>, options?: ParseOptions) => {
  let decode: ((input: unknown) => Either.Either<A, ParseResult.ParseError>) | undefined
  return (input: unknown): Either.Either<A, ParseResult.ParseError> => {
    // Compiled outside the `try`: a throw while compiling is a defect of ours, never the input's.
    const decodeInput = (decode ??= Schema.decodeUnknownEither(schema, options))
    try {
      return decodeInput(input)
    } catch (error) {
      // The conversion to text fails with a TypeError; anything else (a stack overflow, a
      // filter that throws) is a defect of ours and stays one.
      if (!(error instanceof TypeError)) throw error
      return Either.left(new ParseResult.ParseError({ issue: new ParseResult.Type(schema.ast, input, UNREADABLE) }))
    }
  }
}

/**
 * `make()`'s function, made on its first call: for a decoder or encoder declared at a module's
 * top level, whose compilation a cold start need not pay before (or unless) it is used.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const onFirstUse = <F extends (...args: Array<any>) => any>(make: () => F): F => {
  let made: F | undefined
  return ((...args: Parameters<F>) => (made ??= make())(...args)) as F
}

/**
 * `make()`'s schema, built when something first decodes or encodes with it, not where it is
 * declared: a protocol schema is a tree of classes, and a cold start would otherwise build every
 * one, whether its request comes or not. It is a `Schema.suspend`, transparent to decoding and to
 * error messages at the top; `built()` is the schema itself. Inside another schema, use
 * `built()` (within that schema's own `lazySchema`): a nested suspend prints as
 * `<suspended schema>` where an error message names the expected type, and it has no struct API
 * (`fields`, `pick`) and no JSON Schema without an identifier.
 */
export const lazySchema = <A, I>(make: () => Schema.Schema<A, I, never>) => {
  let made: Schema.Schema<A, I, never> | undefined
  const built = () => (made ??= make())
  return Object.assign(Schema.suspend(built), { built })
}

/** `Schema.decodeUnknownOption`, but a throw while decoding is `None`. */
export const decodeUnknownOption = <A, I>(schema: Schema.Schema<A, I, never>, options?: ParseOptions) => {
  const decode = decodeUnknownEither(schema, options)
  return (input: unknown): Option.Option<A> => Option.getRight(decode(input))
}

/**
 * Every issue of a decode. An optional field that breaks its rule also fails the union's other
 * member (`undefined`); that issue says nothing the first does not, so it is left out where the
 * field, or something inside it, has another issue.
 */
export const issuesOf = (error: ParseResult.ParseError): ReadonlyArray<ParseResult.ArrayFormatterIssue> => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const isAlternative = (issue: ParseResult.ArrayFormatterIssue) =>
    issue._tag === "Type" && issue.message.startsWith("Expected undefined, actual ")
  const explained = issues.filter((issue) => !isAlternative(issue)).map((issue) => issue.path.join("."))
  const explains = (path: string) => explained.some((other) => other === path || other.startsWith(`${path}.`))
  return issues.filter((issue) => !(isAlternative(issue) && explains(issue.path.join("."))))
}

/** Every issue of a decode as `path: message` (the root named `root`), on one line, for error texts. */
export const describeParseError = (error: ParseResult.ParseError, root = "result") =>
  issuesOf(error).map((issue) => `${issue.path.join(".") || root}: ${issue.message}`).join("; ")
