// Logs unconditionally: the server sends log notifications only to requests that asked (logLevel).
export const handler = awslambda.streamifyResponse(async (_event, stream) => {
  stream.write(`${JSON.stringify({ type: "log", level: "info", data: "Logging tool ran" })}\n`)
  stream.write(`${JSON.stringify({ type: "log", level: "error", data: "Logging tool says so loudly" })}\n`)
  stream.write(`${JSON.stringify({ type: "result", result: { content: [{ type: "text", text: "Logging evaluated" }] } })}\n`)
  stream.end()
})
