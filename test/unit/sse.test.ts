/** The tests' SSE reader (test/support/sse.ts): a stream that breaks is never taken for one that ended. */
import { describe, expect, it } from "vitest"
import { readSse } from "../support/sse.js"

/** A response whose body sends `frames`, then ends or, given `failure`, breaks. */
const responseOf = (frames: ReadonlyArray<string>, failure?: Error) => {
  const pending = [...frames]
  return new Response(new ReadableStream<Uint8Array>({
    pull: (controller) => {
      const next = pending.shift()
      if (next !== undefined) controller.enqueue(new TextEncoder().encode(next))
      else if (failure === undefined) controller.close()
      else controller.error(failure)
    }
  }))
}

describe("readSse", () => {
  it("`ended` resolves when the server ends the stream, with every event read", async () => {
    const sse = readSse(responseOf(["event: endpoint\ndata: /message\n\n", "data: {}\n\n"]))
    await sse.ended
    expect(sse.events.map((event) => event.event ?? "message")).toEqual(["endpoint", "message"])
  })

  it("`ended` rejects when reading breaks; `closed` settles either way", async () => {
    const sse = readSse(responseOf(["event: endpoint\ndata: /message\n\n"], new Error("connection reset")))
    await expect(sse.ended).rejects.toThrow("the SSE stream failed after 1 events")
    await sse.closed
    await expect(sse.until((events) => events.length > 1)).rejects.toThrow(/stream ended/)
  })

  it("a stream the test cancels has ended", async () => {
    const sse = readSse(new Response(new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) })))
    await sse.cancel()
    await sse.ended
  })
})
