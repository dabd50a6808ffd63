// A streaming function: each NDJSON line is sent while it runs.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const line = (stream, value) => stream.write(`${JSON.stringify(value)}\n`)

export const handler = awslambda.streamifyResponse(async (_event, stream) => {
  line(stream, { type: "log", level: "info", data: "Tool execution started" })
  await sleep(50)
  line(stream, { type: "log", level: "info", data: "Tool processing data" })
  await sleep(50)
  line(stream, { type: "log", level: "info", data: "Tool execution completed" })
  line(stream, { type: "result", result: { content: [{ type: "text", text: "Tool with logging executed successfully" }] } })
  stream.end()
})
