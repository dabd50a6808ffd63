/**
 * template.yaml's McpAuth parameter: in OAUTH mode the MCP Function URL is public (AuthType
 * NONE, with the two grants a public URL needs) and the function gets the issuer and audience;
 * the Registration URL stays AWS_IAM whatever the mode. The expanded template keeps conditions
 * as `Fn::If`; they are evaluated here with the stack's parameter values, as CloudFormation would.
 */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import { toolAvailable } from "../support/ci.js"
import type { Json } from "../support/json.js"

const run = promisify(execFile)

const expand = async (parameters: Record<string, string> = {}): Promise<Json> => {
  const { stdout } = await run("python3", ["test/template/sam_translate.py", "template.yaml", JSON.stringify(parameters)], {
    maxBuffer: 16 * 1024 * 1024
  })
  return JSON.parse(stdout)
}

/** The template as CloudFormation would create it with `parameters`: conditions decided, parameters substituted. */
const resolved = (template: Json, parameters: Record<string, string>) => {
  const valueOf = (name: string) => parameters[name] ?? template.Parameters[name]?.Default
  const condition = (name: string): boolean => evaluate(template.Conditions[name]) as boolean
  const evaluate = (node: Json): unknown => {
    if (Array.isArray(node)) return node.map(evaluate)
    if (node === null || typeof node !== "object") return node
    if ("Ref" in node && typeof node.Ref === "string" && node.Ref in template.Parameters) return valueOf(node.Ref)
    if ("Fn::If" in node) {
      const [name, whenTrue, whenFalse] = node["Fn::If"]
      return evaluate(condition(name) ? whenTrue : whenFalse)
    }
    if ("Fn::Equals" in node) {
      const [left, right] = node["Fn::Equals"].map(evaluate)
      return String(left) === String(right)
    }
    if ("Fn::Not" in node) return !(evaluate(node["Fn::Not"][0]) as boolean)
    if ("Condition" in node && typeof node.Condition === "string" && Object.keys(node).length === 1) return condition(node.Condition)
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, evaluate(value)]))
  }
  const resources = Object.fromEntries(
    Object.entries(template.Resources as Record<string, Json>)
      .filter(([, resource]) => resource.Condition === undefined || condition(resource.Condition))
      .map(([name, resource]) => [name, evaluate(resource)])
  )
  return resources as Record<string, Json>
}

describe.skipIf(!toolAvailable("python3", ["-c", "import samtranslator"]))("template.yaml: McpAuth", () => {
  it("OAUTH: the MCP URL is public and the function authenticates; the Registration URL stays AWS_IAM", async () => {
    const parameters = {
      McpAuth: "OAUTH",
      OAuthIssuer: "https://issuer.example",
      OAuthAudience: "mcp-api",
      OAuthResourceOrigin: "https://mcp.example.com"
    }
    const resources = resolved(await expand(parameters), parameters)
    expect(resources.McpFunctionUrl!.Properties.AuthType).toBe("NONE")
    expect(resources.RegistrationFunctionUrl!.Properties.AuthType).toBe("AWS_IAM")
    expect(resources.McpFunction!.Properties.Environment.Variables).toMatchObject({
      MCP_AUTH: "OAUTH",
      OAUTH_ISSUER: "https://issuer.example",
      OAUTH_AUDIENCE: "mcp-api",
      OAUTH_REQUIRED_SCOPE: "",
      OAUTH_RESOURCE_ORIGIN: "https://mcp.example.com"
    })
    // A NONE URL answers only with both grants to everyone: the URL, and InvokeFunction through it.
    expect(resources.McpPublicUrlGrant!.Properties).toEqual({
      Action: "lambda:InvokeFunctionUrl",
      FunctionName: { Ref: "McpFunction" },
      Principal: "*",
      FunctionUrlAuthType: "NONE"
    })
    expect(resources.McpPublicInvokeGrant!.Properties).toEqual({
      Action: "lambda:InvokeFunction",
      FunctionName: { Ref: "McpFunction" },
      Principal: "*",
      InvokedViaFunctionUrl: true
    })
    // Nothing public for the Registration function.
    const publicGrants = Object.values(resources).filter((resource) =>
      resource.Type === "AWS::Lambda::Permission" && resource.Properties.Principal === "*"
    )
    expect(publicGrants.map((grant) => grant.Properties.FunctionName)).toEqual([{ Ref: "McpFunction" }, { Ref: "McpFunction" }])
  }, 60_000)

  it("IAM (the default): both URLs are AWS_IAM and nothing is public", async () => {
    const resources = resolved(await expand(), {})
    expect(resources.McpFunctionUrl!.Properties.AuthType).toBe("AWS_IAM")
    expect(resources.RegistrationFunctionUrl!.Properties.AuthType).toBe("AWS_IAM")
    expect(resources.McpFunction!.Properties.Environment.Variables.MCP_AUTH).toBe("IAM")
    expect(resources.McpPublicUrlGrant).toBeUndefined()
    expect(resources.McpPublicInvokeGrant).toBeUndefined()
    expect(Object.values(resources).filter((resource) => resource.Properties?.Principal === "*")).toEqual([])
  }, 60_000)
})
