/**
 * Matching a URI against a resource's RFC 6570 template, in time linear in the URI. The MCP
 * SDK's `UriTemplate.match` builds the same expression but runs it on the backtracking
 * RegExp: `repo://{owner}-{name}` against a 150 KB URI took seconds. Here the expression
 * (built exactly as the SDK builds it, so variables come out the same) runs on RE2.
 */
import { compileLinear, type LinearRegExp } from "../domain/LinearRegExp.js"

export type TemplateVariables = Record<string, string | Array<string>>

interface Expression {
  readonly operator: string
  readonly names: ReadonlyArray<string>
  readonly exploded: boolean
}

const OPERATORS = ["+", "#", ".", "/", "?", "&"]

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const expressionOf = (body: string): Expression => {
  const operator = OPERATORS.find((op) => body.startsWith(op)) ?? ""
  const names = body.slice(operator.length).split(",").map((name) => name.replace("*", "").trim()).filter((name) => name !== "")
  return { operator, names, exploded: body.includes("*") }
}

const SEGMENT = "([^/,]+)"
const EXPLODED = "([^/,]+(?:,[^/,]+)*)"

/** The expression's pattern, and the variable (and whether exploded) of each of its groups. */
const patternOf = ({ exploded, names, operator }: Expression) => {
  if (operator === "?" || operator === "&") {
    return {
      pattern: names.map((name, index) => `${index === 0 ? escape(operator) : "&"}${escape(name)}=([^&]+)`).join(""),
      groups: names.map((name) => ({ name, exploded }))
    }
  }
  const pattern = operator === "" ? (exploded ? EXPLODED : SEGMENT)
    : operator === "+" || operator === "#" ? "(.+)"
    : operator === "." ? `\\.${SEGMENT}`
    : operator === "/" ? `/${exploded ? EXPLODED : SEGMENT}`
    : "([^/]+)"
  // An expression without a name (`{}`) still has to match, but yields no variable.
  return names.length === 0
    ? { pattern: pattern.replace("(", "(?:"), groups: [] }
    : { pattern, groups: [{ name: names[0]!, exploded }] }
}

interface Compiled {
  readonly regExp: LinearRegExp
  readonly groups: ReadonlyArray<{ readonly name: string; readonly exploded: boolean }>
}

const compileTemplate = (template: string): Compiled => {
  let pattern = "^"
  const groups: Array<{ readonly name: string; readonly exploded: boolean }> = []
  let rest = template
  while (rest !== "") {
    const open = rest.indexOf("{")
    const close = open === -1 ? -1 : rest.indexOf("}", open)
    if (open === -1 || close === -1) {
      pattern += escape(rest)
      break
    }
    pattern += escape(rest.slice(0, open))
    const part = patternOf(expressionOf(rest.slice(open + 1, close)))
    pattern += part.pattern
    groups.push(...part.groups)
    rest = rest.slice(close + 1)
  }
  return { regExp: compileLinear(`${pattern}$`), groups }
}

/** Compiled templates by text: the registered templates, a handful, each compiled once. */
const compiledTemplates = new Map<string, Compiled>()
const COMPILED_TEMPLATES = 256

const compiled = (template: string) => {
  const known = compiledTemplates.get(template)
  if (known !== undefined) return known
  const fresh = compileTemplate(template)
  if (compiledTemplates.size >= COMPILED_TEMPLATES) compiledTemplates.delete(compiledTemplates.keys().next().value as string)
  compiledTemplates.set(template, fresh)
  return fresh
}

/**
 * The template's variables in `uri`, or null when it does not match (or the template cannot be
 * compiled, or matching would exceed the step budget: a URI that long serves no resource).
 */
export const matchTemplate = (template: string, uri: string): TemplateVariables | null => {
  let match: ReadonlyArray<string | undefined> | null
  let groups: Compiled["groups"]
  try {
    const { groups: templateGroups, regExp } = compiled(template)
    groups = templateGroups
    match = regExp.exec(uri)
  } catch {
    return null
  }
  if (match === null) return null
  const variables: TemplateVariables = {}
  groups.forEach(({ exploded, name }, index) => {
    const value = match[index] ?? ""
    variables[name] = exploded && value.includes(",") ? value.split(",") : value
  })
  return variables
}
