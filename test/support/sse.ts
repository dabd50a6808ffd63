/** Reading SSE responses in tests, with eventsource-parser (the parser the MCP SDK uses). */
import { createParser, type EventSourceMessage } from "eventsource-parser"

export interface SseReader {
  /** Events received so far. */
  readonly events: Array<EventSourceMessage>
  /** Waits until `predicate` holds for the events (or the stream ends, or `timeoutMs` passes). */
  readonly until: (predicate: (events: ReadonlyArray<EventSourceMessage>) => boolean, timeoutMs?: number) => Promise<void>
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>
  readonly cancel: () => Promise<void>
}

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
  const ended = (async () => {
    try {
      for (;;) {
        const next = await reader.read()
        if (next.done) break
        parser.feed(decoder.decode(next.value, { stream: true }))
      }
    } catch {
      // cancelled
    } finally {
      waiters.forEach((wake) => wake())
    }
  })()
  let done = false
  void ended.then(() => {
    done = true
  })
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
  return { events, until, ended, cancel: () => reader.cancel().catch(() => undefined) }
}
