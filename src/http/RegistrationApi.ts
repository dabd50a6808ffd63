/**
 * The Registration API: `POST/GET /register`, `GET/PUT/DELETE /register/{id}`, and
 * `POST /resources/updated` (a resource changed: tell its subscribers).
 * Bodies are the original API's (`type`, `name`, `description`, `lambdaArn`, `parameters`)
 * or the full registration schema; problems come back as a list of `{ path, message }`.
 * Writes record the caller (`createdBy`, `updatedBy`) and leave an audit line; the
 * `RegistrationPolicy` decides which functions may be named and whether only creators may change.
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { audit } from "../Audit.js"
import type { RegistrationForbidden, RegistrationTooLarge, RegistrationVersionMismatch } from "../domain/errors.js"
import {
  idOf,
  isPlainObject,
  type Registration,
  RegistrationId,
  type RegistrationSpec,
  RegistrationType
} from "../domain/Registration.js"
import { decodeRegistrationInput } from "../domain/RegistrationInput.js"
import { Subscriptions } from "../mcp/Subscriptions.js"
import { RegistrationPolicy } from "../services/RegistrationPolicy.js"
import { MAX_PAGE_SIZE, Registry } from "../services/Registry.js"
import { DEFAULT_MAX_BODY_BYTES, readJsonBody } from "./Body.js"
import { HttpProblem, json } from "./Errors.js"
import { type Caller, currentPrincipal } from "./HostContext.js"
import { route } from "./Routes.js"
import { decodeUnknownEither, decodeUnknownOption } from "../domain/Decode.js"

export interface RegistrationApiOptions {
  readonly maxBodyBytes?: number | undefined
}

/** Fields a client may send back from a GET; the server owns them. */
const SERVER_FIELDS = ["id", "version", "createdAt", "updatedAt", "createdBy", "updatedBy"] as const

/** What the app needs from its layers (and, per request, from its host: the caller). */
export type RegistrationApiServices = Registry | Subscriptions | RegistrationPolicy | Caller

const etag = (registration: Registration) => `"${registration.version}"`

const withEtag = (registration: Registration, status = 200, headers: Record<string, string> = {}) =>
  json(registration, status, { etag: etag(registration), ...headers })

const tooLarge = (error: RegistrationTooLarge) =>
  new HttpProblem({ status: 413, error: "PayloadTooLarge", message: error.message })

const notFound = (id: string) => new HttpProblem({ status: 404, error: "NotFound", message: `No registration with id '${id}'` })

const preconditionFailed = (error: RegistrationVersionMismatch) =>
  new HttpProblem({ status: 412, error: "PreconditionFailed", message: error.message })

const badRequest = (error: string, message: string) => new HttpProblem({ status: 400, error, message })

/** Owner-only refused the caller: 403, and an audit line. */
const forbidden = (principal: string) => (error: RegistrationForbidden) =>
  Effect.zipRight(
    audit({ audit: "registration.refused", principal, id: error.id, reason: "owner-only" }),
    Effect.fail(new HttpProblem({ status: 403, error: "Forbidden", message: error.message }))
  )

/** The caller, and the function rule checked: a refused function is a 400 naming the rule (and an audit line). */
const authorize = (spec: RegistrationSpec) =>
  Effect.gen(function* () {
    const principal = yield* currentPrincipal
    const policy = yield* RegistrationPolicy
    const rule = policy.refuseFunction(spec.lambdaArn)
    if (rule !== undefined) {
      yield* audit({ audit: "registration.refused", principal, id: idOf(spec), reason: "function", lambdaArn: spec.lambdaArn })
      return yield* new HttpProblem({
        status: 400,
        error: "FunctionNotAllowed",
        message: `This server may not invoke ${spec.lambdaArn}: ${rule}`,
        problems: [{ path: "lambdaArn", message: rule }]
      })
    }
    return { principal, ownerOnly: policy.ownerOnly }
  })

const decodeId = decodeUnknownOption(RegistrationId)

/** `If-Match: "3"`, `If-Match: 3` or `W/"3"`: the version the client expects. */
const parseIfMatch = (header: string | undefined): Either.Either<number | undefined, string> => {
  if (header === undefined || header.trim() === "*") return Either.right(undefined)
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim())
  return match === null ? Either.left("If-Match must be a registration version, such as \"3\"") : Either.right(Number(match[1]))
}

/** The body of `POST /resources/updated`: the URI that changed, absolute as a resource's `uri` must be. */
const ResourceUpdate = Schema.Struct({
  uri: Schema.String.pipe(
    Schema.filter((uri) => /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/.test(uri) || "must be an absolute URI such as file:///notes.txt")
  )
})

const decodeUpdate = decodeUnknownEither(ResourceUpdate)

const decodeResourceUpdate = (body: unknown) => {
  const invalid = (problems: ReadonlyArray<{ readonly path: string; readonly message: string }>) =>
    new HttpProblem({ status: 400, error: "InvalidUri", message: "The body must be {\"uri\": \"<absolute URI>\"}", problems })
  if (!isPlainObject(body)) return Either.left(invalid([{ path: "", message: "must be a JSON object" }]))
  return Either.mapLeft(decodeUpdate(body), (error) =>
    invalid(ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
      path: issue.path.map(String).join("."),
      message: issue._tag === "Missing" ? "is required" : issue.message
    }))))
}

export const make = (options: RegistrationApiOptions = {}): HttpApp.Default<never, RegistrationApiServices> => {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES

  const readBody = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    readJsonBody(request, maxBodyBytes, badRequest("InvalidJson", "The body is not valid JSON")))

  const decodeSpec = (body: unknown) =>
    Effect.mapError(
      decodeRegistrationInput(body),
      (error) => new HttpProblem({ status: 400, error: "InvalidRegistration", message: error.message, problems: error.problems })
    )

  const create = Effect.gen(function* () {
    const registry = yield* Registry
    const spec = yield* decodeSpec(yield* readBody)
    const { principal } = yield* authorize(spec)
    const created = yield* registry.create(spec, { principal }).pipe(
      Effect.catchTags({
        RegistrationConflict: (error) =>
          new HttpProblem({ status: 409, error: "Conflict", message: `${error.message}; update it with PUT /register/${error.id}` }),
        RegistrationTooLarge: tooLarge
      })
    )
    yield* audit({ audit: "registration.create", principal, id: created.id, version: created.version, lambdaArn: created.lambdaArn })
    return withEtag(created, 201, { location: `/register/${encodeURIComponent(created.id)}` })
  })

  const list = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const registry = yield* Registry
    const query = new URLSearchParams(request.url.split("?")[1] ?? "")
    const rawType = query.get("type")
    const type = rawType === null ? Option.some(undefined) : decodeUnknownOption(RegistrationType)(rawType)
    if (Option.isNone(type)) {
      return yield* badRequest("BadRequest", "type must be tool, resource or prompt")
    }
    const rawLimit = query.get("limit")
    const limit = rawLimit === null ? undefined : Number(rawLimit)
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)) {
      return yield* badRequest("BadRequest", `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`)
    }
    const cursor = query.get("cursor") ?? undefined
    const page = yield* registry.list({ type: type.value, cursor, limit }).pipe(
      Effect.catchTag("InvalidCursor", () => badRequest("BadRequest", "Invalid cursor"))
    )
    return json({ items: page.items, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) })
  })

  const read = (rawId: string) =>
    Effect.gen(function* () {
      const registry = yield* Registry
      const id = decodeId(rawId)
      if (Option.isNone(id)) return yield* notFound(rawId)
      const found = yield* registry.get(id.value).pipe(
        Effect.catchTag("RegistrationNotFound", () => notFound(rawId))
      )
      return withEtag(found)
    })

  const replace = (rawId: string) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const registry = yield* Registry
      const body = yield* readBody
      if (typeof body !== "object" || body === null || Array.isArray(body)) {
        return yield* badRequest("InvalidRegistration", "a registration must be a JSON object")
      }
      const fields = body as Record<string, unknown>
      const bodyId = fields["id"]
      if (bodyId !== undefined && bodyId !== rawId) {
        // JSON, not String: `String({"toString": null})` throws.
        const shown = typeof bodyId === "string" ? bodyId : JSON.stringify(bodyId).slice(0, 200)
        return yield* badRequest("IdMismatch", `The body's id '${shown}' is not '${rawId}'`)
      }
      const ifMatch = parseIfMatch(request.headers["if-match"])
      if (Either.isLeft(ifMatch)) return yield* badRequest("BadRequest", ifMatch.left)
      const bodyVersion = fields["version"]
      if (bodyVersion !== undefined && (typeof bodyVersion !== "number" || !Number.isInteger(bodyVersion))) {
        return yield* new HttpProblem({
          status: 400,
          error: "InvalidRegistration",
          message: "version must be an integer",
          problems: [{ path: "version", message: "must be an integer" }]
        })
      }
      const expected = ifMatch.right ?? (bodyVersion as number | undefined)
      const definition = Object.fromEntries(Object.entries(fields).filter(([key]) => !(SERVER_FIELDS as ReadonlyArray<string>).includes(key)))
      const spec = yield* decodeSpec(definition)
      if (idOf(spec) !== rawId) {
        return yield* badRequest("IdMismatch", `A ${spec.type} named '${spec.name}' has id '${idOf(spec)}', not '${rawId}'`)
      }
      const { ownerOnly, principal } = yield* authorize(spec)
      const updated = yield* registry.update(spec, { ifVersion: expected, principal, ownerOnly }).pipe(
        Effect.catchTags({
          RegistrationNotFound: () => notFound(rawId),
          RegistrationVersionMismatch: preconditionFailed,
          RegistrationForbidden: forbidden(principal),
          RegistrationTooLarge: tooLarge
        })
      )
      yield* audit({ audit: "registration.update", principal, id: updated.id, version: updated.version, lambdaArn: updated.lambdaArn })
      return withEtag(updated)
    })

  const remove = (rawId: string) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const registry = yield* Registry
      const id = decodeId(rawId)
      if (Option.isNone(id)) return yield* notFound(rawId)
      const ifMatch = parseIfMatch(request.headers["if-match"])
      if (Either.isLeft(ifMatch)) return yield* badRequest("BadRequest", ifMatch.left)
      const principal = yield* currentPrincipal
      const { ownerOnly } = yield* RegistrationPolicy
      yield* registry.remove(id.value, { ifVersion: ifMatch.right, principal, ownerOnly }).pipe(
        Effect.catchTags({
          RegistrationNotFound: () => notFound(rawId),
          RegistrationVersionMismatch: preconditionFailed,
          RegistrationForbidden: forbidden(principal)
        })
      )
      yield* audit({ audit: "registration.delete", principal, id: id.value })
      return HttpServerResponse.empty({ status: 204 })
    })

  const resourceUpdated = Effect.gen(function* () {
    const { uri } = yield* decodeResourceUpdate(yield* readBody)
    const subscriptions = yield* Subscriptions
    const notified = yield* subscriptions.publish(uri)
    return json({ uri, notified })
  })

  return route<RegistrationApiServices>([
    { path: "/register", methods: { POST: () => create, GET: () => list } },
    {
      path: "/register/:id",
      methods: { GET: ({ id = "" }) => read(id), PUT: ({ id = "" }) => replace(id), DELETE: ({ id = "" }) => remove(id) }
    },
    { path: "/resources/updated", methods: { POST: () => resourceUpdated } },
    { path: "/health", methods: { GET: () => Effect.succeed(json({ status: "ok" })) } }
  ])
}
