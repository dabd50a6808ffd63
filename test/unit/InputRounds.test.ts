/** Which questions a client can be asked: by capability, elicitation by mode, sampling with tools. */
import { describe, expect, it } from "vitest"
import { missingCapability } from "../../src/mcp/InputRounds.js"

const form = { method: "elicitation/create" as const, params: { message: "?", requestedSchema: { type: "object" } } }
const url = { method: "elicitation/create" as const, params: { mode: "url", url: "https://example.com", message: "?" } }
const sampling = { method: "sampling/createMessage" as const, params: { messages: [], maxTokens: 1 } }
const samplingWithTools = { method: "sampling/createMessage" as const, params: { messages: [], maxTokens: 1, tools: [] } }
const roots = { method: "roots/list" as const }

describe("missingCapability", () => {
  it("needs the method's capability", () => {
    expect(missingCapability(form, {})).toEqual({ elicitation: {} })
    expect(missingCapability(sampling, { elicitation: {} })).toEqual({ sampling: {} })
    expect(missingCapability(roots, { roots: {} })).toBeUndefined()
  })

  it("elicitation: {} means form only; url mode needs url", () => {
    expect(missingCapability(form, { elicitation: {} })).toBeUndefined()
    expect(missingCapability(url, { elicitation: {} })).toEqual({ elicitation: { url: {} } })
    expect(missingCapability(url, { elicitation: { url: {} } })).toBeUndefined()
    expect(missingCapability(form, { elicitation: { url: {} } })).toEqual({ elicitation: { form: {} } })
  })

  it("sampling with tools needs sampling.tools", () => {
    expect(missingCapability(samplingWithTools, { sampling: {} })).toEqual({ sampling: { tools: {} } })
    expect(missingCapability(samplingWithTools, { sampling: { tools: {} } })).toBeUndefined()
  })
})
