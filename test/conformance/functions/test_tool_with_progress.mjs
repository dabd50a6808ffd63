// A streaming function that reports progress (only worth it when the client sent a token).
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const line = (stream, value) => stream.write(`${JSON.stringify(value)}\n`)

export const handler = awslambda.streamifyResponse(async (event, stream) => {
  for (const progress of [0, 50, 100]) {
    if (event.extra.progressToken !== undefined) {
      line(stream, { type: "progress", progress, total: 100, message: `Completed step ${progress} of 100` })
    }
    if (progress < 100) await sleep(50)
  }
  line(stream, { type: "result", result: { content: [{ type: "text", text: String(event.extra.progressToken) }] } })
  stream.end()
})
