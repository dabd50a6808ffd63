// A streaming tool: wrapped with awslambda.streamifyResponse, it writes NDJSON lines while it
// runs. Progress lines reach the client as notifications/progress (when it asked for progress:
// event.extra.progressToken), log lines as notifications/message (at or above the client's
// level: event.extra.logLevel); the last line is the result.
/** At most a minute of steps: the function checks its own input. */
const MAX_STEPS = 300

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const write = (stream, line) => stream.write(`${JSON.stringify(line)}\n`)

export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const steps = event.args.steps ?? 3
  if (!Number.isInteger(steps) || steps < 0 || steps > MAX_STEPS) {
    const text = `steps must be a whole number from 0 to ${MAX_STEPS}`
    write(responseStream, { type: "result", result: { isError: true, content: [{ type: "text", text }] } })
    responseStream.end()
    return
  }
  write(responseStream, { type: "log", level: "info", logger: "countdown", data: `Counting down from ${steps}` })
  for (let left = steps; left > 0; left--) {
    // Nobody sees progress without a token: skip the work of describing it.
    if (event.extra.progressToken !== undefined) {
      write(responseStream, { type: "progress", progress: steps - left, total: steps, message: `${left} to go` })
    }
    await sleep(200)
  }
  write(responseStream, { type: "progress", progress: steps, total: steps, message: "Lift-off" })
  write(responseStream, { type: "result", result: { content: [{ type: "text", text: `Counted down from ${steps}.` }] } })
  responseStream.end()
})
