/**
 * The Registration API as a client: every request SigV4-signed; bodies checked against the
 * registration schema before they are sent; the server's problems kept for display.
 */
import { readFile } from "node:fs/promises"
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { parse as parseYaml } from "yaml"
import { decodeRegistrationInput } from "../domain/RegistrationInput.js"
import { outputsOf } from "../deploy/Deploy.js"
import { signedFetch, type Signer } from "./SigV4.js"
import { REGISTRATION_TIMEOUTS, type Timeouts } from "./TimedFetch.js"

export class AdminError extends Data.TaggedError("AdminError")<{
  readonly message: string
  readonly status?: number | undefined
  readonly problems?: ReadonlyArray<{ readonly path: string; readonly message: string }> | undefined
}> {}

export interface ApiResult {
  readonly status: number
  readonly body: unknown
}

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** The registration URL a deployed stack printed (its `RegistrationFunctionUrl` output). */
export const urlFromStack = (stackName: string, region: string, endpoint?: string) =>
  Effect.tryPromise({
    try: async () => {
      const client = new CloudFormationClient({
        region,
        ...(endpoint === undefined ? {} : { endpoint }),
        // The SDK's own deadlines, the same as the Registration API's.
        requestHandler: { connectionTimeout: REGISTRATION_TIMEOUTS.connectMs, requestTimeout: REGISTRATION_TIMEOUTS.responseMs }
      })
      try {
        const output = await client.send(new DescribeStacksCommand({ StackName: stackName }))
        return outputsOf(output.Stacks?.[0])["RegistrationFunctionUrl"]
      } finally {
        client.destroy()
      }
    },
    catch: (cause) => new AdminError({ message: `Cannot read stack ${stackName}: ${describe(cause)}` })
  }).pipe(
    Effect.flatMap((url) =>
      url === undefined
        ? Effect.fail(new AdminError({ message: `Stack ${stackName} has no RegistrationFunctionUrl output` }))
        : Effect.succeed(url)
    )
  )

/** A registration body from a JSON or YAML file. */
export const readBodyFile = (path: string) =>
  Effect.tryPromise({
    try: async () => {
      const text = await readFile(path, "utf8")
      return /\.ya?ml$/i.test(path) ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown)
    },
    catch: (cause) => new AdminError({ message: `Cannot read ${path}: ${describe(cause)}` })
  })

/** Fails with the schema's problems before anything is sent. */
export const checkBody = (body: unknown) => {
  const { id: _id, version: _version, createdAt: _createdAt, updatedAt: _updatedAt, ...definition } =
    typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {}
  return decodeRegistrationInput(typeof body === "object" && body !== null ? definition : body).pipe(
    Effect.mapError((error) => new AdminError({ message: "The registration is invalid", problems: error.problems }))
  )
}

export const makeClient = (baseUrl: string, signer: Signer, timeouts: Timeouts = REGISTRATION_TIMEOUTS) => {
  const base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    Effect.tryPromise({
      try: async (signal) => {
        const response = await signedFetch(signer, new URL(path, base), {
          method,
          headers: { accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal,
          timeouts
        })
        const text = await response.text()
        const parsed: unknown = text === "" ? null : (() => {
          try {
            return JSON.parse(text)
          } catch {
            return text
          }
        })()
        return { status: response.status, body: parsed } satisfies ApiResult
      },
      catch: (cause) => new AdminError({ message: `${method} ${path} failed: ${describe(cause)}` })
    }).pipe(
      Effect.flatMap((result) => {
        if (result.status < 400) return Effect.succeed(result)
        const problem = result.body as { message?: string; problems?: Array<{ path: string; message: string }> } | null
        return Effect.fail(
          new AdminError({
            status: result.status,
            message: `${result.status}: ${problem?.message ?? String(result.body)}`,
            problems: problem?.problems
          })
        )
      })
    )
  const idPath = (id: string) => `register/${encodeURIComponent(id)}`
  const ifMatch = (version: number | undefined): Record<string, string> => (version === undefined ? {} : { "if-match": `"${version}"` })

  return {
    register: (body: unknown) => request("POST", "register", body),
    get: (id: string) => request("GET", idPath(id)),
    update: (id: string, body: unknown, version?: number) => request("PUT", idPath(id), body, ifMatch(version)),
    remove: (id: string, version?: number) => request("DELETE", idPath(id), undefined, ifMatch(version)),
    /** Tells the sessions subscribed to `uri` that it changed; the body is `{ uri, notified }`. */
    resourceUpdated: (uri: string) => request("POST", "resources/updated", { uri }),
    /** Every registration, following the pages. */
    list: (type?: string) =>
      Effect.gen(function* () {
        const items: Array<Record<string, unknown>> = []
        let cursor: string | undefined
        do {
          const query = new URLSearchParams()
          if (type !== undefined) query.set("type", type)
          if (cursor !== undefined) query.set("cursor", cursor)
          const page = yield* request("GET", `register${query.size > 0 ? `?${query}` : ""}`)
          const body = page.body as { items: Array<Record<string, unknown>>; nextCursor?: string }
          items.push(...body.items)
          cursor = body.nextCursor
        } while (cursor !== undefined)
        return items
      })
  }
}
