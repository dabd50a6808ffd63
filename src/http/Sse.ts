/** Server-sent events framing. */
const encoder = new TextEncoder()

/** One event; multi-line data is split into `data:` lines as the SSE format requires. */
export const frame = (event: {
  readonly event?: string
  readonly id?: string | number
  /** Milliseconds a client waits before reconnecting once the stream ends. */
  readonly retry?: number
  readonly data: string
}) => {
  let text = ""
  if (event.id !== undefined) text += `id: ${event.id}\n`
  if (event.retry !== undefined) text += `retry: ${event.retry}\n`
  if (event.event !== undefined) text += `event: ${event.event}\n`
  for (const line of event.data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`
  return encoder.encode(`${text}\n`)
}

/** A comment line: ignored by clients, keeps proxies and idle timers from closing the stream. */
export const comment = (text: string) => encoder.encode(`: ${text}\n\n`)

export const SSE_HEADERS = {
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no"
} as const
