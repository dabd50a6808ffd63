/**
 * CloudFormation YAML: the short intrinsic-function tags (`!Ref`, `!Sub`, `!If`, …) read into
 * their long JSON forms (`{ Ref: … }`, `{ "Fn::Sub": … }`), which any template accepts.
 */
import { parse, stringify, type Tags } from "yaml"

const FUNCTIONS = [
  "Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub", "Transform",
  "And", "Equals", "If", "Not", "Or", "Condition", "ToJsonString", "Length"
] as const

const longForm = (name: string) => (name === "Condition" ? "Condition" : `Fn::${name}`)

const tags: Tags = [
  { tag: "!Ref", resolve: (value: string) => ({ Ref: value }) },
  {
    tag: "!GetAtt",
    resolve: (value: string) => ({ "Fn::GetAtt": value.split(".") })
  },
  { tag: "!GetAtt", collection: "seq", resolve: (value: unknown) => ({ "Fn::GetAtt": (value as { toJSON: () => unknown }).toJSON() }) },
  ...FUNCTIONS.flatMap((name) => [
    { tag: `!${name}`, resolve: (value: string) => ({ [longForm(name)]: value }) },
    { tag: `!${name}`, collection: "seq" as const, resolve: (value: unknown) => ({ [longForm(name)]: (value as { toJSON: () => unknown }).toJSON() }) },
    { tag: `!${name}`, collection: "map" as const, resolve: (value: unknown) => ({ [longForm(name)]: (value as { toJSON: () => unknown }).toJSON() }) }
  ])
]

export type Template = Record<string, unknown> & {
  Parameters?: Record<string, Record<string, unknown>>
  Conditions?: Record<string, unknown>
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown> }>
  Outputs?: Record<string, Record<string, unknown>>
}

export const parseTemplate = (text: string): Template => parse(text, { customTags: tags }) as Template

export const stringifyTemplate = (template: Template): string => stringify(template, { lineWidth: 0 })
