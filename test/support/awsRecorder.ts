/**
 * A loopback forwarder in front of moto server that records every S3 request (method, path, and
 * the `x-amz-expected-bucket-owner` header), and can answer one itself: moto ignores the expected
 * owner, so a test plays AWS's 403 for a bucket of another account with `refuse`.
 */
import { createServer, request, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"

export interface RecordedS3Request {
  readonly method: string
  readonly path: string
  readonly expectedOwner: string | undefined
}

export const startAwsRecorder = async (target: string, refuse: (request: RecordedS3Request) => boolean = () => false) => {
  const upstream = new URL(target)
  const s3: Array<RecordedS3Request> = []
  const isS3 = (incoming: IncomingMessage) => /\/s3\/aws4_request/.test(String(incoming.headers.authorization ?? ""))
  const server = createServer((incoming, outgoing) => {
    if (isS3(incoming)) {
      const recorded: RecordedS3Request = {
        method: incoming.method ?? "GET",
        path: decodeURIComponent((incoming.url ?? "/").split("?")[0]!),
        expectedOwner: incoming.headers["x-amz-expected-bucket-owner"] as string | undefined
      }
      s3.push(recorded)
      if (refuse(recorded)) {
        incoming.resume()
        outgoing.writeHead(403, { "content-type": "application/xml" })
        outgoing.end(recorded.method === "HEAD" ? undefined : "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
        return
      }
    }
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: upstream.host } },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(outgoing)
      }
    )
    forwarded.on("error", () => outgoing.destroy())
    incoming.pipe(forwarded)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    s3,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
