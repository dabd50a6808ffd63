/**
 * Lambda function ARNs, checked part by part so a mistake gets a precise message.
 * `arn:<partition>:lambda:<region>:<account>:function:<name>[:<version | alias | $LATEST>]`
 */
import * as Schema from "effect/Schema"

export interface ParsedLambdaArn {
  readonly partition: string
  readonly region: string
  readonly accountId: string
  readonly functionName: string
  readonly qualifier: string | undefined
}

const PARTITION = /^aws(-cn|-us-gov|-iso|-iso-[a-z]|-eusc)?$/
const REGION = /^[a-z]{2}(-gov|-iso|-isob|-isoe|-isof)?-[a-z]+-\d$/
const ACCOUNT = /^\d{12}$/
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/
const VERSION = /^(\$LATEST|\d+)$/
const ALIAS = /^(?!\d+$)[A-Za-z0-9_-]{1,128}$/

/** The parsed ARN, or the reason it is not a Lambda function ARN. */
export const parseLambdaArn = (arn: string): ParsedLambdaArn | string => {
  const parts = arn.split(":")
  if (parts[0] !== "arn" || parts.length < 7 || parts.length > 8) {
    return "must be a Lambda function ARN: arn:aws:lambda:<region>:<account-id>:function:<name>[:<version or alias>]"
  }
  const [, partition = "", service, region = "", accountId = "", resource, functionName = "", qualifier] = parts
  if (!PARTITION.test(partition)) return `has an unknown partition '${partition}'`
  if (service !== "lambda") return `names service '${service}', not 'lambda'`
  if (!REGION.test(region)) return `has an invalid region '${region}'`
  if (!ACCOUNT.test(accountId)) return "must have a 12-digit account id"
  if (resource !== "function") return `must name a function ('function:<name>'), not '${resource}'`
  if (!FUNCTION_NAME.test(functionName)) {
    return "has an invalid function name (1–64 letters, digits, '-' or '_')"
  }
  if (qualifier !== undefined && !VERSION.test(qualifier) && !ALIAS.test(qualifier)) {
    return `has an invalid qualifier '${qualifier}' (a version number, $LATEST or an alias)`
  }
  return { partition, region, accountId, functionName, qualifier }
}

export const LambdaArn = Schema.String.pipe(
  Schema.filter((arn) => {
    const parsed = parseLambdaArn(arn)
    return typeof parsed === "string" ? parsed : true
  }),
  Schema.brand("LambdaArn")
)
export type LambdaArn = typeof LambdaArn.Type

/** The function name of a valid ARN (the part a local function directory is keyed by). */
export const functionNameOf = (arn: LambdaArn): string => (parseLambdaArn(arn) as ParsedLambdaArn).functionName
