/**
 * The files `mcp-lambda-sam init` writes for a new tool: its function (buffered or streaming,
 * JavaScript or TypeScript), a test for it (node:test), its registration (the dev server's
 * `--seed`, and `register --from`), and a SAM template that deploys the function under a name
 * the server's default `ToolFunctionPattern` (`mcp-tool-*`) lets it invoke.
 */

export interface ScaffoldOptions {
  /** The tool's name, as clients see it. */
  readonly tool: string
  readonly typescript: boolean
  readonly streaming: boolean
}

export interface ScaffoldFile {
  /** Relative to the scaffold's directory, with `/`. */
  readonly path: string
  readonly content: string
}

/** The ARN a registration carries before deployment: the dev server matches only the function name. */
export const PLACEHOLDER_ARN_PREFIX = "arn:aws:lambda:us-east-1:123456789012:function:"

export const functionNameOf = (tool: string) => `mcp-tool-${tool}`

/** A tool name (`A–Z a–z 0–9 _ -`, as function names allow) from a directory's name. */
export const toolNameOf = (directoryName: string) => {
  const name = directoryName.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 50)
  return name === "" ? "hello" : name
}

/** Where `dev --functions` should point: the sources for JavaScript, tsc's output for TypeScript. */
export const functionsDirOf = (options: Pick<ScaffoldOptions, "typescript">) => (options.typescript ? "dist/functions" : "functions")

const INPUT_SCHEMA = {
  type: "object",
  properties: { name: { type: "string", description: "Who to greet" } },
  required: ["name"],
  additionalProperties: false
}

const registration = (options: ScaffoldOptions) => [
  {
    type: "tool",
    name: options.tool,
    description: `Greets someone by name (made by mcp-lambda-sam init: replace with what ${options.tool} should do)`,
    lambdaArn: `${PLACEHOLDER_ARN_PREFIX}${functionNameOf(options.tool)}`,
    inputSchema: INPUT_SCHEMA,
    annotations: { readOnlyHint: true, openWorldHint: false },
    ...(options.streaming ? { streaming: true } : {})
  }
]

const TS_TYPES = `/** What the MCP server sends a tool's function (see the README's "The function contract"). */
export interface ToolEvent {
  readonly args: { readonly name: string }
  readonly extra: {
    readonly requestId?: string | number
    readonly protocolVersion?: string
    readonly sessionId?: string
    readonly principal?: string
    /** Set when the client asked for progress: only then is progress worth describing. */
    readonly progressToken?: string | number
    readonly logLevel?: string
  }
}

export interface ToolResult {
  readonly content: ReadonlyArray<{ readonly type: "text"; readonly text: string }>
  readonly isError?: boolean
}
`

const bufferedFunction = (options: ScaffoldOptions) => {
  const head = `// The ${options.tool} tool: the MCP server invokes this function with { args, extra } and
// answers the client with what it returns (an MCP tool result; any other JSON becomes text).
// A thrown error becomes a tool result with isError: true.
`
  return options.typescript
    ? `${head}${TS_TYPES}
export const handler = async (event: ToolEvent): Promise<ToolResult> => {
  const { name } = event.args
  return { content: [{ type: "text", text: \`Hello, \${name}!\` }] }
}
`
    : `${head}export const handler = async (event) => {
  const { name } = event.args
  return { content: [{ type: "text", text: \`Hello, \${name}!\` }] }
}
`
}

const streamingFunction = (options: ScaffoldOptions) => {
  const head = `// The ${options.tool} tool, streaming: wrapped with awslambda.streamifyResponse (a global the
// Lambda runtime and \`mcp-lambda-sam dev\` provide), it writes NDJSON lines while it runs —
// progress and log lines reach the client as notifications, the last line is the result.
`
  const body = (typed: boolean) => `
const write = (stream${typed ? ": ResponseStream" : ""}, line${typed ? ": object" : ""}) => stream.write(\`\${JSON.stringify(line)}\\n\`)

export const handler = awslambda.streamifyResponse(async (event${typed ? ": ToolEvent" : ""}, responseStream${typed ? ": ResponseStream" : ""}) => {
  const { name } = event.args
  const steps = 3
  write(responseStream, { type: "log", level: "info", logger: "${options.tool}", data: \`Greeting \${name}\` })
  for (let step = 1; step <= steps; step++) {
    // Nobody sees progress without a token: skip describing it then.
    if (event.extra.progressToken !== undefined) {
      write(responseStream, { type: "progress", progress: step, total: steps, message: \`Step \${step} of \${steps}\` })
    }
  }
  write(responseStream, { type: "result", result: { content: [{ type: "text", text: \`Hello, \${name}!\` }] } })
  responseStream.end()
})
`
  return options.typescript
    ? `${head}${TS_TYPES}
/** The part of Node's Writable a streaming function uses. */
export interface ResponseStream {
  write(chunk: string): boolean
  end(): void
}

declare const awslambda: {
  streamifyResponse: <H extends (event: ToolEvent, responseStream: ResponseStream) => Promise<void>>(handler: H) => H
}
${body(true)}`
    : `${head}${body(false)}`
}

const bufferedTest = (options: ScaffoldOptions, module: string) => `// Run with \`node --test\`${options.typescript ? " after `npx tsc`" : ""}: the handler, called as the MCP server calls it.
import assert from "node:assert/strict"
import { test } from "node:test"
import { handler } from "../functions/${module}"

const extra = { requestId: 1, protocolVersion: "2025-11-25" }

test("${options.tool} greets by name", async () => {
  const result = await handler({ args: { name: "Ada" }, extra })
  assert.deepEqual(result, { content: [{ type: "text", text: "Hello, Ada!" }] })
})
`

const streamingTest = (options: ScaffoldOptions, module: string) => `// Run with \`node --test\`${options.typescript ? " after `npx tsc`" : ""}: the handler, called as the MCP server calls it,
// its NDJSON lines read back.
import assert from "node:assert/strict"
import { PassThrough } from "node:stream"
import { test } from "node:test"

// Outside Lambda and \`mcp-lambda-sam dev\` there is no awslambda global: a stand-in, before the import.
Object.assign(globalThis, { awslambda: { streamifyResponse: ${options.typescript ? "<H extends object>(handler: H) => handler" : "(handler) => handler"} } })
const { handler } = await import("../functions/${module}")

const run = async (event${options.typescript ? ": Parameters<typeof handler>[0]" : ""}) => {
  const stream = new PassThrough()
  let text = ""
  stream.on("data", (chunk${options.typescript ? ": Buffer" : ""}) => {
    text += chunk.toString()
  })
  await handler(event, stream)
  return text.trim().split("\\n").map((line) => JSON.parse(line)${options.typescript ? " as { type: string; [key: string]: unknown }" : ""})
}

test("${options.tool} reports progress, then greets by name", async () => {
  const lines = await run({ args: { name: "Ada" }, extra: { requestId: 1, progressToken: "p" } })
  assert.deepEqual(lines.filter((line) => line.type === "progress").map((line) => line.progress), [1, 2, 3])
  assert.deepEqual(lines.at(-1), { type: "result", result: { content: [{ type: "text", text: "Hello, Ada!" }] } })
})

test("${options.tool} sends no progress to a client that asked for none", async () => {
  const lines = await run({ args: { name: "Ada" }, extra: { requestId: 2 } })
  assert.equal(lines.some((line) => line.type === "progress"), false)
})
`

const pascalCase = (name: string) =>
  name.split(/[^A-Za-z0-9]+/).filter((part) => part !== "").map((part) => part[0]!.toUpperCase() + part.slice(1)).join("")

const samTemplate = (options: ScaffoldOptions) => {
  const functionName = functionNameOf(options.tool)
  return `# The ${options.tool} tool's function. Deploy it next to an mcp-lambda-sam stack (whose default
# ToolFunctionPattern, mcp-tool-*, lets the MCP server invoke it):
#   ${options.typescript ? "npx tsc && " : ""}sam deploy --guided --template-file template.yaml
# then put the FunctionArn output into registrations.json and register it:
#   npx mcp-lambda-sam register --from . --stack-name <the mcp-lambda-sam stack> --region <region>
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: ${options.tool}, a tool function for mcp-lambda-sam
Resources:
  ${pascalCase(options.tool) || "Tool"}Function:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: ${functionName}
      CodeUri: ${functionsDirOf(options)}/
      Handler: ${functionName}.handler
      Runtime: nodejs22.x
      Architectures: [arm64]
      MemorySize: 256
      Timeout: 60
Outputs:
  FunctionArn:
    Value: !GetAtt ${pascalCase(options.tool) || "Tool"}Function.Arn
`
}

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    rootDir: ".",
    outDir: "dist",
    types: ["node"],
    skipLibCheck: true
  },
  include: ["functions", "test"]
}

/** Every file of the scaffold, in the order they are written. */
export const scaffold = (options: ScaffoldOptions): ReadonlyArray<ScaffoldFile> => {
  const functionName = functionNameOf(options.tool)
  // TypeScript: .mts sources compile to .mjs, ES modules whatever the package.json around them says.
  const source = options.typescript ? "mts" : "mjs"
  const module = `${functionName}.mjs`
  return [
    { path: `functions/${functionName}.${source}`, content: options.streaming ? streamingFunction(options) : bufferedFunction(options) },
    {
      path: `test/${functionName}.test.${source}`,
      content: options.streaming ? streamingTest(options, module) : bufferedTest(options, module)
    },
    { path: "registrations.json", content: `${JSON.stringify(registration(options), null, 2)}\n` },
    { path: "template.yaml", content: samTemplate(options) },
    ...(options.typescript ? [{ path: "tsconfig.json", content: `${JSON.stringify(TSCONFIG, null, 2)}\n` }] : [])
  ]
}
