/**
 * The yardstick for issue 13's cold start: what the MCP function's job costs written plainly
 * with the SDKs — the MCP SDK's `McpServer` with one tool that reads its registration from
 * DynamoDB and invokes it on Lambda, answering a Function URL event (buffered) through the
 * SDK's web-standard Streamable HTTP transport in stateless mode. Nothing else: no sessions,
 * no legacy transport, no resources or prompts. Bundled by `build.ts` as our handlers are.
 */
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb"
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"
import { z } from "zod"

/** The parts of a Function URL event (payload 2.0) this handler reads. */
interface FunctionUrlEvent {
  readonly rawPath: string
  readonly rawQueryString?: string
  readonly headers: Record<string, string>
  readonly body?: string
  readonly isBase64Encoded?: boolean
  readonly requestContext: { readonly http: { readonly method: string } }
}

// Clients at init, as a Lambda handler keeps them for the container's life.
const dynamodb = new DynamoDBClient({})
const lambda = new LambdaClient({})
const table = process.env["REGISTRATION_TABLE_NAME"] ?? "registrations"

const server = () => {
  const mcp = new McpServer({ name: "yardstick", version: "1.0.0" })
  mcp.registerTool(
    "call",
    { description: "Invokes a registered function with the arguments", inputSchema: { name: z.string(), args: z.record(z.string(), z.unknown()) } },
    async ({ name, args }) => {
      const item = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { name: { S: name } } }))
      const arn = item.Item?.["lambdaArn"]?.S
      if (arn === undefined) return { content: [{ type: "text", text: `No function named ${name}` }], isError: true }
      const answer = await lambda.send(new InvokeCommand({ FunctionName: arn, Payload: Buffer.from(JSON.stringify({ args })) }))
      return { content: [{ type: "text", text: Buffer.from(answer.Payload ?? new Uint8Array()).toString("utf8") }] }
    }
  )
  return mcp
}

export const handler = async (event: FunctionUrlEvent) => {
  const body = event.body === undefined ? undefined : event.isBase64Encoded === true ? Buffer.from(event.body, "base64") : event.body
  const method = event.requestContext.http.method
  const request = new Request(`https://function-url${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ""}`, {
    method,
    headers: event.headers,
    ...(body === undefined || method === "GET" ? {} : { body })
  })
  // Stateless (no session id generator): a transport, and so a server, per request, as the SDK requires.
  const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true })
  const mcp = server()
  await mcp.connect(transport)
  const response = await transport.handleRequest(request)
  const text = await response.text()
  await mcp.close()
  return { statusCode: response.status, headers: Object.fromEntries(response.headers), body: text }
}
