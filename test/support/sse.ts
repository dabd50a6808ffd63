/** Reading SSE responses in tests, with eventsource-parser (the parser the MCP SDK uses). */
import { createParser, type EventSourceMessage } from "eventsource-parser"

export interface SseReader {
  /** Events received so far. */
  readonly events: Array<EventSourceMessage>
  /** Waits until `predicate` holds for the events (or the stream ends, or `timeoutMs` passes). */
  readonly until: (predicate: (events: ReadonlyArray<EventSourceMessage>) => boolean, timeoutMs?: number) => Promise<void>
  /**
   * Resolves when the server ends the stream cleanly (or the test cancels it); rejects when
   * reading fails (a dropped connection, an aborted request), so a break is never taken for an end.
   */
  readonly ended: Promise<void>
  /** Settles either way once the stream is over: for waiting without judging how it ended. */
  readonly closed: Promise<void>
  readonly cancel: () => Promise<void>
}

/** The JSON-RPC message text of an answer: a JSON body, or the last `data:` line of a short event stream ("" if none). */
export const answerText = (body: string) =>
  body.trimStart().startsWith("{") ? body : body.split("\n").filter((line) => line.startsWith("data:")).at(-1)?.slice(5) ?? ""

export const readSse = (response: Response): SseReader => {
  const events: Array<EventSourceMessage> = []
  const waiters = new Set<() => void>()
  const parser = createParser({
    onEvent: (event) => {
      events.push(event)
      waiters.forEach((wake) => wake())
    }
  })
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let done = false
  const ended = (async () => {
    try {
      for (;;) {
        const next = await reader.read()
        if (next.done) break
        parser.feed(decoder.decode(next.value, { stream: true }))
      }
    } catch (error) {
      throw new Error(`the SSE stream failed after ${events.length} events`, { cause: error })
    } finally {
      done = true
      waiters.forEach((wake) => wake())
    }
  })()
  // A failure is the reader's to see when it awaits `ended`; otherwise it is not an unhandled rejection.
  const closed = ended.then(() => undefined, () => undefined)
  const until = (predicate: (events: ReadonlyArray<EventSourceMessage>) => boolean, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (predicate(events)) {
          cleanup()
          resolve()
        } else if (done) {
          cleanup()
          reject(new Error(`stream ended with ${events.length} events before the condition held`))
        }
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`timed out after ${timeoutMs} ms with ${events.length} events`))
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        waiters.delete(check)
      }
      waiters.add(check)
      check()
    })
  return { events, until, ended, closed, cancel: () => reader.cancel().catch(() => undefined) }
}
