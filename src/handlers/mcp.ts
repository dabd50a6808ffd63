/** The MCP function (Function URL, `AWS_IAM`): Streamable HTTP at /mcp, legacy SSE at /sse + /message. */
import { mcpHandler } from "../hosts/LambdaMcp.js"

export const handler = mcpHandler()
