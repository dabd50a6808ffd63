import { describe, expect, it } from "vitest"
import { formatChanges, formatOutputs, outputsOf } from "../../src/deploy/Deploy.js"

describe("deploy output", () => {
  const stack = {
    StackName: "mcp",
    StackStatus: "CREATE_COMPLETE" as const,
    CreationTime: new Date(0),
    Outputs: [
      { OutputKey: "McpFunctionUrl", OutputValue: "https://abc.lambda-url.eu-west-1.on.aws/" },
      { OutputKey: "RegistrationFunctionUrl", OutputValue: "https://def.lambda-url.eu-west-1.on.aws/" },
      { OutputKey: "SessionTableName", OutputValue: "mcp-lambda-sam-default-sessions" },
      { OutputKey: "Broken" }
    ]
  }

  it("reads a stack's outputs, skipping incomplete ones", () => {
    expect(outputsOf(stack)).toEqual({
      McpFunctionUrl: "https://abc.lambda-url.eu-west-1.on.aws/",
      RegistrationFunctionUrl: "https://def.lambda-url.eu-west-1.on.aws/",
      SessionTableName: "mcp-lambda-sam-default-sessions"
    })
    expect(outputsOf(undefined)).toEqual({})
  })

  it("prints the MCP URLs for both transports, the registration URL and a next step", () => {
    const text = formatOutputs(outputsOf(stack))
    expect(text).toContain("MCP, Streamable HTTP:  https://abc.lambda-url.eu-west-1.on.aws/mcp")
    expect(text).toContain("MCP, legacy SSE:       https://abc.lambda-url.eu-west-1.on.aws/sse")
    expect(text).toContain("Registration API:      https://def.lambda-url.eu-west-1.on.aws/register")
    expect(text).toContain("SessionTableName: mcp-lambda-sam-default-sessions")
    expect(text).toMatch(/Next: register a tool/)
  })

  it("lists changes with their action and replacement", () => {
    expect(formatChanges([])).toBe("The change set has no resource changes")
    const text = formatChanges([
      { ResourceChange: { Action: "Modify", ResourceType: "AWS::Lambda::Function", LogicalResourceId: "McpFunction", Replacement: "True" } }
    ])
    expect(text).toMatch(/Changes \(1\):\n\s+Modify\s+AWS::Lambda::Function\s+McpFunction\s+\(replacement\)/)
  })
})
