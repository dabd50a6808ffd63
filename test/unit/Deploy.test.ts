import { Option } from "effect"
import { describe, expect, it } from "vitest"
import { randomBucketName } from "../../src/deploy/ArtifactsBucket.js"
import { formatChanges, formatOutputs, outputsOf } from "../../src/deploy/Deploy.js"
import { withSarRead } from "../../src/deploy/PublishSar.js"

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

describe("the artifacts bucket's name and policy", () => {
  const bucket = { name: "mcp-lambda-sam-artifacts-0123456789abcdef", owner: "123456789012", partition: "aws-cn" }

  it("names a bucket with 64 random bits, within S3's 63 characters", () => {
    const names = new Set(Array.from({ length: 100 }, randomBucketName))
    expect(names.size).toBe(100)
    for (const name of names) expect(name).toMatch(/^mcp-lambda-sam-artifacts-[0-9a-f]{16}$/)
  })

  it("adds SAR's statement, limited to the owner's account, to a policy of one statement, and replaces an earlier version of it", () => {
    const theirs = { Sid: "Theirs", Effect: "Deny", Principal: "*", Action: "s3:DeleteBucket", Resource: `arn:aws-cn:s3:::${bucket.name}` }
    const unconditioned = { Sid: "ServerlessRepoRead", Effect: "Allow", Principal: { Service: "serverlessrepo.amazonaws.com" }, Action: "s3:GetObject" }
    const merged = JSON.parse(Option.getOrThrow(withSarRead(JSON.stringify({ Version: "2012-10-17", Statement: [theirs, unconditioned] }), bucket))) as {
      Statement: Array<Record<string, unknown>>
    }
    expect(merged.Statement).toEqual([
      theirs,
      expect.objectContaining({
        Sid: "ServerlessRepoRead",
        Resource: `arn:aws-cn:s3:::${bucket.name}/sar/*`,
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } }
      })
    ])
    const single = JSON.parse(Option.getOrThrow(withSarRead(JSON.stringify({ Statement: theirs }), bucket))) as { Statement: Array<unknown> }
    expect(single.Statement).toHaveLength(2)
    // Already in place: nothing to write.
    expect(Option.isNone(withSarRead(JSON.stringify(merged), bucket))).toBe(true)
    expect(() => withSarRead("not json", bucket)).toThrow()
  })
})
