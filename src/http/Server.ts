/**
 * Both APIs on one server (the dev server): `/register…` and `/resources/updated` go to the
 * Registration API, everything else to the MCP API.
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as Effect from "effect/Effect"
import { pathOf } from "./Routes.js"

/** The Registration API's paths (its route table's, trailing slash included). */
const REGISTRATION_PATHS = /^\/(?:register(?:\/.*)?|resources\/updated\/?)$/

export const combine = <E1, R1, E2, R2>(
  mcp: HttpApp.Default<E1, R1>,
  registration: HttpApp.Default<E2, R2>
): HttpApp.Default<E1 | E2, R1 | R2> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request): HttpApp.Default<E1 | E2, R1 | R2> =>
    REGISTRATION_PATHS.test(pathOf(request)) ? registration : mcp)
