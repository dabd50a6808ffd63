/** `resources/list`, `resources/templates/list` and `resources/read`. */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import {
  type ListedResource,
  ListResourcesResult,
  ListResourceTemplatesResult,
  PaginatedParams,
  EmptyResult,
  ReadResourceParams,
  ReadResourceResult,
  SubscribeParams
} from "../../domain/Mcp.js"
import type { ResourceRegistration } from "../../domain/Registration.js"
import { Catalog } from "../Catalog.js"
import { InternalError, InvalidRequest, ResourceNotFound } from "../Errors.js"
import { asInternalErrors, invoke } from "../Invoke.js"
import { hideStoreError, listResult, page } from "../Lookup.js"
import { log, McpRequest } from "../McpRequest.js"
import { method } from "../Method.js"
import { ModernInputRequired, withRounds } from "../ModernRounds.js"
import { toListedResources, toReadResourceResult } from "../Results.js"
import { lazyModule } from "../../domain/LazyModules.js"
import { Subscriptions } from "../Subscriptions.js"
import { lazySchema } from "../../domain/Decode.js"

/** Every resource registration (from the catalog; store failures are hidden). */
export const allResources = Effect.flatMap(Catalog, (catalog) => catalog.all("resource")).pipe(
  Effect.catchTag("StoreError", hideStoreError)
)

/** Loaded when a URI is first matched against templates (it brings RE2). */
const TemplateMatch = lazyModule(() => import("../TemplateMatch.js"))

/** The registration serving `uri`: an exact URI first, then the first template that matches (on RE2: linear time). */
const findResource = (uri: string) =>
  Effect.gen(function* () {
    const resources = yield* allResources
    const exact = resources.find((resource) => resource.uri === uri)
    if (exact !== undefined) return Option.some({ resource: exact, variables: {} })
    if (resources.every((resource) => resource.uriTemplate === undefined)) return Option.none()
    const { matchTemplate } = yield* TemplateMatch
    for (const resource of resources) {
      if (resource.uriTemplate === undefined) continue
      const variables = matchTemplate(resource.uriTemplate, uri)
      if (variables !== null) return Option.some({ resource, variables })
    }
    return Option.none()
  })

const resourceOf = (resource: ResourceRegistration, uri: string): ListedResource => ({
  uri,
  name: resource.name,
  title: resource.title,
  description: resource.description,
  mimeType: resource.mimeType,
  icons: resource.icons
})

/** A template resource's function lists the concrete resources it serves; a failure lists none. */
const listedBy = (resource: ResourceRegistration) =>
  invoke(resource, { action: "list", uri: resource.uriTemplate, variables: {} }).pipe(
    Effect.flatMap((answer) => toListedResources(answer)),
    Effect.map((listed): ReadonlyArray<ListedResource> =>
      listed.map((item) => ({ ...(resource.mimeType === undefined ? {} : { mimeType: resource.mimeType }), ...item }))
    ),
    Effect.catchAll((error) =>
      Effect.as(log("warning", `Listing resource '${resource.name}' failed: ${error.message}`), [])
    )
  )

export const list = method("resources/list", {
  params: PaginatedParams,
  result: ListResourcesResult,
  handle: ({ cursor }) =>
    Effect.map(
      page("resource", cursor, (resource) =>
        resource.uri !== undefined ? Effect.succeed([resourceOf(resource, resource.uri)] as const) : listedBy(resource)),
      (result) => listResult("resources", result)
    )
})

export const templates = method("resources/templates/list", {
  params: PaginatedParams,
  result: ListResourceTemplatesResult,
  handle: ({ cursor }) =>
    Effect.map(
      page("resource", cursor, (resource) =>
        Effect.succeed(
          resource.uriTemplate === undefined ? [] : [{
            uriTemplate: resource.uriTemplate,
            name: resource.name,
            title: resource.title,
            description: resource.description,
            mimeType: resource.mimeType,
            icons: resource.icons
          }]
        )),
      (result) => listResult("resourceTemplates", result)
    )
})

export const read = method("resources/read", {
  params: ReadResourceParams,
  result: lazySchema(() => Schema.Union(ReadResourceResult.built(), ModernInputRequired.built())),
  handle: (params) =>
    Effect.gen(function* () {
      const { uri } = params
      const found = yield* findResource(uri)
      if (Option.isNone(found)) return yield* new ResourceNotFound({ uri })
      const { resource, variables } = found.value
      const round = yield* withRounds(params, `resources/read:${uri}`, (input) =>
        invoke(resource, { action: "read", uri, variables, ...input })).pipe(
          Effect.catchTags(asInternalErrors(`Reading '${uri}'`))
        )
      if (round._tag === "InputRequired") return round.result
      // A function's 404 is its way to say the URI names nothing: the protocol's resource-not-found.
      return yield* Either.mapLeft(
        toReadResourceResult(uri, resource.mimeType, round.answer),
        (error) =>
          error.notFound
            ? new ResourceNotFound({ uri })
            : new InternalError({ message: `Resource '${resource.name}' answered unusably: ${error.message}` })
      )
    })
})

/** Subscribing or unsubscribing the request's session; a request without a session cannot. */
const subscription = (change: "subscribe" | "unsubscribe") => ({ uri }: { readonly uri: string }) =>
  Effect.gen(function* () {
    const { sessionId } = yield* McpRequest
    if (sessionId === undefined) return yield* new InvalidRequest({ message: `resources/${change} needs a session` })
    const subscriptions = yield* Subscriptions
    yield* subscriptions[change](sessionId, uri).pipe(Effect.catchTag("StoreError", hideStoreError))
    return {}
  })

export const subscribe = method("resources/subscribe", {
  era: "legacy",
  params: SubscribeParams,
  result: EmptyResult,
  handle: subscription("subscribe")
})

export const unsubscribe = method("resources/unsubscribe", {
  era: "legacy",
  params: SubscribeParams,
  result: EmptyResult,
  handle: subscription("unsubscribe")
})

/** Tells the subscribers of `uri` (a streaming function's `resource_updated` line); failures are logged. */
export const resourceUpdated = (uri: string) =>
  Effect.flatMap(Subscriptions, (subscriptions) => subscriptions.publish(uri)).pipe(
    Effect.catchTag("StoreError", (error) => Effect.logWarning(`Telling the subscribers of ${uri} failed`, error)),
    Effect.asVoid
  )
