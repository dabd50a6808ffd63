/**
 * An HTTP recorder in front of a server: it checks each request's SigV4 signature (service
 * `lambda`) by signing the same request again with the same library and the known test
 * credentials, records the verdict, and forwards the request.
 */
import { createHash } from "node:crypto"
import { createServer, type IncomingMessage, type Server } from "node:http"
import { Readable } from "node:stream"
import type { ReadableStream as WebReadableStream } from "node:stream/web"
import { makeSigner, toHttpRequest } from "../../src/admin/SigV4.js"

export const TEST_CREDENTIALS = { accessKeyId: "AKIDTESTRECORDER", secretAccessKey: "recorder-secret-key" }

export interface Recorded {
  readonly method: string
  readonly path: string
  readonly valid: boolean
  readonly reason: string
  readonly headers: Readonly<Record<string, string>>
}

const readBody = async (request: IncomingMessage) => {
  const chunks: Array<Buffer> = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString("utf8")
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/

/** Whether the request carries a valid signature for the test credentials, and why not. */
export const verify = async (url: URL, method: string, headers: Record<string, string>, body: string) => {
  const authorization = headers["authorization"] ?? ""
  const match = AUTHORIZATION.exec(authorization)
  if (match === null) return { valid: false, reason: `no SigV4 Authorization header: ${authorization}` }
  const [, accessKeyId, , region, service, signedHeaders] = match
  if (accessKeyId !== TEST_CREDENTIALS.accessKeyId) return { valid: false, reason: `unknown key ${accessKeyId}` }
  if (service !== "lambda") return { valid: false, reason: `signed for ${service}` }
  // A payload hash header stands for the body in the signature: it must be the body's.
  const payloadHash = headers["x-amz-content-sha256"]
  if (payloadHash !== undefined && payloadHash !== createHash("sha256").update(body).digest("hex")) {
    return { valid: false, reason: "the body does not match x-amz-content-sha256" }
  }
  const amzDate = headers["x-amz-date"] ?? ""
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"))
  const names = signedHeaders!.split(";")
  const kept = Object.fromEntries(names.filter((name) => name !== "host").map((name) => [name, headers[name] ?? ""]))
  const again = await makeSigner({ region: region!, credentials: TEST_CREDENTIALS }).sign(
    toHttpRequest(url, method, kept, body === "" ? undefined : body),
    { signingDate }
  )
  return again.headers["authorization"] === authorization
    ? { valid: true, reason: "" }
    : { valid: false, reason: "signature mismatch" }
}

export interface RecorderOptions {
  /** Answer 404 to POST /mcp, like a server that offers only the legacy SSE transport. */
  readonly legacyOnly?: boolean
}

export const startRecorder = async (target: string, options: RecorderOptions = {}) => {
  const recorded: Array<Recorded> = []
  const server: Server = createServer(async (request, response) => {
    const body = await readBody(request)
    const url = new URL(request.url ?? "/", `http://${request.headers.host}`)
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value
    }
    const verdict = await verify(url, request.method ?? "GET", headers, body)
    recorded.push({ method: request.method ?? "GET", path: url.pathname + url.search, headers, ...verdict })
    if (options.legacyOnly === true && url.pathname === "/mcp") {
      response.writeHead(404, { "content-type": "application/json" })
      response.end(JSON.stringify({ error: "NotFound" }))
      return
    }
    const controller = new AbortController()
    response.once("close", () => controller.abort())
    const forwarded = await fetch(new URL(url.pathname + url.search, target), {
      method: request.method ?? "GET",
      headers: Object.fromEntries(Object.entries(headers).filter(([name]) => !["host", "connection", "content-length"].includes(name))),
      ...(body === "" ? {} : { body }),
      signal: controller.signal
    }).catch(() => undefined)
    if (forwarded === undefined) return
    const { "content-length": _length, "content-encoding": _encoding, ...forwardedHeaders } = Object.fromEntries(forwarded.headers)
    response.writeHead(forwarded.status, forwardedHeaders)
    // Streamed, so that SSE responses pass through as they come.
    if (forwarded.body === null) return response.end()
    Readable.fromWeb(forwarded.body as WebReadableStream).on("error", () => response.destroy()).pipe(response)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    recorded,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
