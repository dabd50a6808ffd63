/** Both APIs on one server (the dev server): `/register…` goes to the Registration API. */
import { HttpServerRequest } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import { Effect } from "effect"
import { pathOf } from "./Routes.js"

export const combine = <E1, R1, E2, R2>(
  mcp: HttpApp.Default<E1, R1>,
  registration: HttpApp.Default<E2, R2>
): HttpApp.Default<E1 | E2, R1 | R2> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request): HttpApp.Default<E1 | E2, R1 | R2> => {
    const path = pathOf(request)
    return path === "/register" || path.startsWith("/register/") ? registration : mcp
  })
