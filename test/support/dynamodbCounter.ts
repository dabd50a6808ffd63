/**
 * A loopback proxy in front of DynamoDB (Local) that counts requests by operation (the
 * `X-Amz-Target` header), for code that builds its own client from an endpoint setting, such as
 * the Lambda handlers with `DYNAMODB_ENDPOINT`. Requests pass through unchanged.
 */
import { createServer, request as forward } from "node:http"
import type { AddressInfo } from "node:net"

export interface DynamoDBCounter {
  readonly endpoint: string
  /** Requests so far, by operation (`Query`, `PutItem`, …). */
  readonly counts: () => ReadonlyMap<string, number>
  /** What was counted since `before` (a `counts()` taken earlier), by operation, without zeros. */
  readonly since: (before: ReadonlyMap<string, number>) => Record<string, number>
  /** Every request so far, in order: its operation and the table it names (when it names one). */
  readonly log: () => ReadonlyArray<{ readonly operation: string; readonly table: string | undefined }>
  readonly close: () => Promise<void>
}

export const serveDynamoDBCounter = async (target: string): Promise<DynamoDBCounter> => {
  const counts = new Map<string, number>()
  const log: Array<{ readonly operation: string; table: string | undefined }> = []
  const upstream = new URL(target)
  const server = createServer((incoming, outgoing) => {
    const targetHeader = incoming.headers["x-amz-target"]
    const operation = typeof targetHeader === "string" ? (targetHeader.split(".")[1] ?? targetHeader) : "unknown"
    counts.set(operation, (counts.get(operation) ?? 0) + 1)
    const entry = { operation, table: undefined as string | undefined }
    log.push(entry)
    const chunks: Array<Buffer> = []
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk))
    incoming.once("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      entry.table = /"TableName":"([^"]+)"/.exec(text)?.[1] ?? /"RequestItems":\{"([^"]+)"/.exec(text)?.[1]
    })
    const proxied = forward(
      { hostname: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(outgoing)
      }
    )
    proxied.once("error", () => outgoing.destroy())
    incoming.pipe(proxied)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => new Map(counts),
    log: () => [...log],
    since: (before) => {
      const delta: Record<string, number> = {}
      for (const [operation, count] of counts) {
        const added = count - (before.get(operation) ?? 0)
        if (added > 0) delta[operation] = added
      }
      return delta
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
  }
}
