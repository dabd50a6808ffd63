/**
 * A Function URL in front of a handler run by lambda-local: every HTTP request becomes its
 * own Lambda invocation (payload 2.0 event), as on AWS, so real MCP clients can talk to the
 * handlers. The `x-test-principal` header stands for the IAM principal the URL would authenticate.
 */
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { Readable } from "node:stream"
import { createRequire } from "node:module"
import lambdaLocal from "lambda-local"

/**
 * lambda-local polyfills `awslambda.streamifyResponse` only when no `awslambda` global exists,
 * but the AWS SDK (through @aws/lambda-invoke-store) may have created an empty one first. The
 * Lambda runtime defines the global before any code loads; do the same here, keeping what is there.
 */
const installStreamingGlobals = () => {
  const global = globalThis as { awslambda?: Record<string, unknown> }
  if (typeof global.awslambda?.["streamifyResponse"] === "function") return
  const require = createRequire(import.meta.url)
  const polyfill = require.resolve("lambda-local/build/lib/streaming.js")
  const existing = global.awslambda
  delete global.awslambda
  delete require.cache[polyfill]
  require(polyfill)
  global.awslambda = { ...(existing ?? {}), ...(global.awslambda ?? {}) }
}
installStreamingGlobals()

export interface FunctionUrl {
  readonly url: string
  /** Invocations that have not ended yet. */
  readonly active: () => number
  readonly invocations: () => number
  readonly close: () => Promise<void>
}

const readBody = async (request: IncomingMessage) => {
  const chunks: Array<Buffer> = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

interface StreamingResult {
  readonly statusCode?: number
  readonly headers?: Record<string, string>
  readonly body?: Readable | string
  readonly isBase64Encoded?: boolean
}

const isReadable = (body: unknown): body is Readable =>
  typeof body === "object" && body !== null && typeof (body as Readable).pipe === "function"

export const serveFunction = async (
  handler: unknown,
  options: { readonly timeoutMs: number }
): Promise<FunctionUrl> => {
  let active = 0
  let invocations = 0
  const server: Server = createServer(async (request, response) => {
    const body = await readBody(request)
    const url = new URL(request.url ?? "/", "http://function-url")
    const principal = request.headers["x-test-principal"]
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers)) {
      if (name === "x-test-principal" || value === undefined) continue
      headers[name] = Array.isArray(value) ? value.join(",") : value
    }
    const event = {
      version: "2.0",
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...(body.length > 0 ? { body: body.toString("base64"), isBase64Encoded: true } : { isBase64Encoded: false }),
      requestContext: {
        domainName: request.headers.host,
        http: { method: request.method ?? "GET" },
        ...(typeof principal === "string"
          ? { authorizer: { iam: { userArn: principal, accountId: "123456789012" } } }
          : {})
      }
    }
    active++
    invocations++
    let ended = false
    const end = () => {
      if (!ended) {
        ended = true
        active--
      }
    }
    // lambda-local calls onInvocationEnd once when a streamed response's headers go out, and
    // again when the handler returns: for a stream, the second call is the invocation's end.
    let endCalls = 0
    let streaming: boolean | undefined
    const onInvocationEnd = () => {
      endCalls++
      if (streaming === false || endCalls >= 2) end()
    }
    try {
      const result = (await lambdaLocal.execute({
        event,
        lambdaFunc: { handler },
        lambdaHandler: "handler",
        timeoutMs: options.timeoutMs,
        verboseLevel: 0,
        onInvocationEnd
      })) as StreamingResult
      streaming = isReadable(result.body)
      if (!streaming || endCalls >= 2) end()
      response.writeHead(result.statusCode ?? 200, result.headers ?? {})
      if (isReadable(result.body)) {
        const stream = result.body
        // The client went away: close the response stream, as the Lambda service does.
        response.once("close", () => stream.destroy())
        stream.pipe(response)
      } else {
        const text = result.body ?? ""
        response.end(result.isBase64Encoded === true ? Buffer.from(text, "base64") : text)
      }
    } catch (error) {
      end()
      response.writeHead(502, { "content-type": "application/json" })
      response.end(JSON.stringify({ message: String(error) }))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    active: () => active,
    invocations: () => invocations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/**
 * The environment the Lambda handlers read, as a deployment sets it: the tables on `dynamodb`,
 * functions behind `lambda` (when given), test credentials; `extra` adds or overrides settings.
 */
export const setHandlerEnvironment = (
  where: { readonly tables: { readonly registrations: string; readonly sessions: string }; readonly dynamodb: string; readonly lambda?: string },
  extra: Record<string, string> = {}
) => {
  Object.assign(process.env, {
    REGISTRATION_TABLE_NAME: where.tables.registrations,
    SESSION_TABLE_NAME: where.tables.sessions,
    DYNAMODB_ENDPOINT: where.dynamodb,
    ...(where.lambda === undefined ? {} : { LAMBDA_ENDPOINT: where.lambda }),
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    LOG_LEVEL: "WARN",
    ...extra
  })
}
