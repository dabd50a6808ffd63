// Sends a notification before its result; under 2026-07-28 nothing but notifications may precede it.
export const handler = awslambda.streamifyResponse(async (event, stream) => {
  stream.write(`${JSON.stringify({ type: "progress", progress: 1, total: 1, message: "Streaming" })}\n`)
  stream.write(`${JSON.stringify({ type: "log", level: "info", data: "Streaming elicitation test" })}\n`)
  stream.write(`${JSON.stringify({ type: "result", result: { content: [{ type: "text", text: "Streaming complete" }] } })}\n`)
  stream.end()
})
