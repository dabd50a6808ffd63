/**
 * Regular expressions on RE2 (re2js): matching time linear in the input, so no pattern a
 * caller registers, and no string a caller sends, can make a check backtrack for seconds.
 * ECMAScript syntax is translated first; what RE2 cannot run in linear time (lookaround,
 * backreferences) fails to compile, and is refused where it is registered.
 *
 * Linear is not yet short: a check costs about (string length × program size) steps. Every
 * check is charged to a step budget (`FIXED.limits.patternSteps` per `withinSteps` scope, or
 * per check outside one); a check that would overdraw it throws `PatternBudgetExceeded`.
 */
import { RE2JS } from "re2js"
import { FIXED } from "../Settings.js"

/** Thrown by `test` and `exec` when a check would take more steps than its budget has left. */
export class PatternBudgetExceeded extends Error {
  constructor(readonly pattern: string, readonly length: number) {
    super(`a string of ${length} characters is too long to check against the pattern "${shorten(pattern)}"`)
  }
}

const shorten = (text: string) => (text.length > 80 ? `${text.slice(0, 77)}...` : text)

export interface LinearRegExp {
  readonly source: string
  /**
   * RE2 instructions, a character class counting more the more ranges it has (to compile, and
   * to run: the NFA may run every instruction for each input character).
   */
  readonly programSize: number
  /** The pattern: Ajv keys its compiled patterns by `toString()`. */
  readonly toString: () => string
  readonly test: (input: string) => boolean
  /** The first match's capture groups (`undefined` for a group that took no part), or null. */
  readonly exec: (input: string) => ReadonlyArray<string | undefined> | null
}

/** A large class (`\p{L}` has hundreds of ranges) costs up to this many plain instructions. */
const CLASS_WEIGHT = 20

const programSizeOf = (compiled: RE2JS): number => {
  const prog: unknown = compiled.re2().prog
  const inst = typeof prog === "object" && prog !== null ? (prog as { readonly inst?: unknown }).inst : undefined
  if (!Array.isArray(inst)) return compiled.pattern().length
  return inst.reduce<number>((size, instruction: unknown) => {
    const runes = typeof instruction === "object" && instruction !== null ? (instruction as { readonly runes?: unknown }).runes : undefined
    return size + 1 + (Array.isArray(runes) ? Math.min(CLASS_WEIGHT, Math.floor(runes.length / 2)) : 0)
  }, 0)
}

/** The steps left in the current `withinSteps` scope (none: each check has its own budget). */
let budget: { remaining: number } | undefined

/** Runs `run` with one step budget shared by every check inside it (a whole validation). */
export const withinSteps = <A>(steps: number, run: () => A): A => {
  const outer = budget
  budget = { remaining: steps }
  try {
    return run()
  } finally {
    budget = outer
  }
}

const charge = (pattern: string, programSize: number, input: string) => {
  const steps = input.length * programSize
  const account = budget ?? { remaining: FIXED.limits.patternSteps }
  if (steps > account.remaining) throw new PatternBudgetExceeded(pattern, input.length)
  account.remaining -= steps
}

/** Compiled patterns by source, least recently used first: schemas and templates repeat them. */
const compiledPatterns = new Map<string, LinearRegExp>()
const COMPILED_PATTERNS = 256

/** Compiles an ECMAScript pattern for RE2; throws (with RE2's reason) when RE2 cannot run it. */
export const compileLinear = (pattern: string): LinearRegExp => {
  const known = compiledPatterns.get(pattern)
  if (known !== undefined) {
    compiledPatterns.delete(pattern)
    compiledPatterns.set(pattern, known)
    return known
  }
  const compiled = RE2JS.compile(RE2JS.translateRegExp(pattern))
  const programSize = Math.max(1, programSizeOf(compiled))
  const linear: LinearRegExp = {
    source: pattern,
    programSize,
    toString: () => pattern,
    test: (input) => {
      charge(pattern, programSize, input)
      return compiled.test(input)
    },
    exec: (input) => {
      charge(pattern, programSize, input)
      const match: ReadonlyArray<string | null | undefined> | null = compiled.exec(input)
      return match === null ? null : match.slice(1).map((group) => group ?? undefined)
    }
  }
  if (compiledPatterns.size >= COMPILED_PATTERNS) compiledPatterns.delete(compiledPatterns.keys().next().value as string)
  compiledPatterns.set(pattern, linear)
  return linear
}

/** The compiled pattern, or why RE2 cannot run it. */
export const tryCompileLinear = (pattern: string): LinearRegExp | { readonly reason: string } => {
  try {
    return compileLinear(pattern)
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) }
  }
}
