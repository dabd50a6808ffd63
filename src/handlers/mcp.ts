/** The MCP function (Function URL, `AWS_IAM`): Streamable HTTP at /mcp, legacy SSE at /sse + /message. */
import { withRequestLog } from "../http/RequestLog.js"
import { mcpApp, mcpLayer } from "../layers/Main.js"
import { lambdaHandler } from "./runtime.js"

export const handler = lambdaHandler(withRequestLog(mcpApp), mcpLayer)
