/**
 * What the Registration API lets a caller do beyond a well-formed registration: which
 * functions a registration may name (the allowlist the MCP role's IAM policy also encodes),
 * and whether only a registration's creator may change it.
 */
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { allows, describePatterns, parsePatterns } from "../domain/FunctionPattern.js"
import { functionNameOf, type LambdaArn } from "../domain/LambdaArn.js"
import { DEFAULTS } from "../Settings.js"

export interface RegistrationPolicyShape {
  /** Why a registration may not name `arn` (the rule, in words), or undefined when it may. */
  readonly refuseFunction: (arn: LambdaArn) => string | undefined
  /** Only the principal that created a registration may replace or delete it. */
  readonly ownerOnly: boolean
}

export class RegistrationPolicy extends Context.Tag("mcp-lambda-sam/RegistrationPolicy")<
  RegistrationPolicy,
  RegistrationPolicyShape
>() {
  /** Any function, anyone may change anything (tests; IAM alone decides). */
  static readonly open: Layer.Layer<RegistrationPolicy> = Layer.succeed(RegistrationPolicy, {
    refuseFunction: () => undefined,
    ownerOnly: false
  })
}

/** Registrations may name the functions `patterns` match (IAM wildcards). */
export const fromPatterns = (patterns: ReadonlyArray<string>, ownerOnly = false): RegistrationPolicyShape => ({
  refuseFunction: (arn) => (allows(patterns, arn) ? undefined : describePatterns(patterns)),
  ownerOnly
})

/** The dev server: functions of its `--functions` directory only (`--allow-aws` lifts that). */
export const localFunctionsOnly = (names: ReadonlyArray<string>): RegistrationPolicyShape => ({
  refuseFunction: (arn) =>
    names.includes(functionNameOf(arn))
      ? undefined
      : `lambdaArn must name a local function (${names.join(", ") || "none loaded"}); start dev with --allow-aws to register AWS functions`,
  ownerOnly: false
})

/** `TOOL_FUNCTION_ARNS`: the functions registrations may name and the MCP role may invoke. */
export const toolFunctionPatterns: Config.Config<ReadonlyArray<string>> = Config.string("TOOL_FUNCTION_ARNS").pipe(
  Config.withDefault(DEFAULTS.TOOL_FUNCTION_ARNS),
  Config.map(parsePatterns)
)

/** `TOOL_FUNCTION_ARNS` and `REGISTRATION_OWNER_ONLY`. */
export const makeConfig = Effect.map(
  Config.all({
    patterns: toolFunctionPatterns,
    ownerOnly: Config.boolean("REGISTRATION_OWNER_ONLY").pipe(Config.withDefault(DEFAULTS.REGISTRATION_OWNER_ONLY))
  }),
  ({ ownerOnly, patterns }) => fromPatterns(patterns, ownerOnly)
)

export const layerConfig = Layer.effect(RegistrationPolicy, makeConfig)
