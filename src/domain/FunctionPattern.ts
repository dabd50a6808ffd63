/**
 * Which Lambda functions registrations may name: ARN patterns with IAM's wildcards (`*` any
 * run of characters, `?` one), the same text the template puts in the IAM policy, so one
 * setting decides both what the role may invoke and what the Registration API accepts.
 */

/** Any function: where nothing narrower is configured, IAM alone decides. */
export const ANY_FUNCTION = "*"

/** The patterns of a comma-separated setting (`TOOL_FUNCTION_ARNS`); empty means none. */
export const parsePatterns = (text: string): ReadonlyArray<string> =>
  text.split(",").map((pattern) => pattern.trim()).filter((pattern) => pattern !== "")

/**
 * IAM-style wildcard match, linear in practice: on a mismatch it backtracks only to the last
 * `*` (the patterns come from the operator, the ARN from a caller; no RegExp is built).
 */
export const wildcardMatch = (pattern: string, text: string): boolean => {
  let p = 0
  let t = 0
  let star = -1
  let resume = 0
  while (t < text.length) {
    const c = pattern[p]
    if (c === "*") {
      star = p++
      resume = t
    } else if (c !== undefined && (c === "?" || c === text[t])) {
      p++
      t++
    } else if (star !== -1) {
      p = star + 1
      t = ++resume
    } else {
      return false
    }
  }
  while (pattern[p] === "*") p++
  return p === pattern.length
}

/** Whether `arn` is one of the functions the patterns allow. */
export const allows = (patterns: ReadonlyArray<string>, arn: string): boolean =>
  patterns.some((pattern) => wildcardMatch(pattern, arn))

/** The rule, in words, for a refusal. */
export const describePatterns = (patterns: ReadonlyArray<string>): string =>
  patterns.length === 0
    ? "this server may invoke no functions (TOOL_FUNCTION_ARNS is empty)"
    : `lambdaArn must match ${patterns.map((pattern) => `'${pattern}'`).join(" or ")} (TOOL_FUNCTION_ARNS, set from the ToolFunctionPattern parameter)`
