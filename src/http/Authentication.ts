/**
 * Who may call the MCP API (`MCP_AUTH`), decided once per request before anything else runs:
 *
 * - `IAM` (default): the host's caller — the Function URL's IAM authorizer on Lambda, `local` on
 *   the dev server. A request that carries no identity (a Function URL whose AuthType is `NONE`)
 *   is refused: a deployment is public only when a setting says so.
 * - `NONE`: public; every caller is `anonymous` (rate limits and sessions then share one principal).
 * - `OAUTH`: an OAuth 2.1 resource server, as MCP 2025-11-25 authorization describes. Bearer
 *   tokens from one issuer, for one audience; the principal is the token's `iss` + `sub`;
 *   Protected Resource Metadata (RFC 9728) at `/.well-known/oauth-protected-resource` and its
 *   `/mcp`-suffixed form; 401 with a `WWW-Authenticate` challenge that points to it, 403
 *   `insufficient_scope` when a required scope is missing.
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { JoseTokenVerifier } from "../domain/LazyModules.js"
import type { JoseTokenVerifierOptions } from "../layers/JoseTokenVerifier.js"
import { principalOf, type TokenVerifierShape } from "../services/TokenVerifier.js"
import * as Settings from "../Settings.js"
import { HttpProblem, json, problem } from "./Errors.js"
import { ANONYMOUS } from "./FunctionUrl.js"
import { Caller, type CallerIdentity } from "./HostContext.js"
import { pathOf } from "./Routes.js"

export interface AuthenticatorShape {
  /** The caller the routes see; fails with the answer to send instead (401, 403, 503). */
  readonly authenticate: (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<CallerIdentity, HttpProblem, Caller>
  /** The RFC 9728 metadata document when `request` asks for it (OAuth only; answered unauthenticated). */
  readonly metadata: (request: HttpServerRequest.HttpServerRequest) => Option.Option<HttpServerResponse.HttpServerResponse>
}

const noMetadata = () => Option.none()

/** 403, as an `AWS_IAM` Function URL answers an unsigned request (there is no challenge a client could answer). */
const NO_IDENTITY =
  "This server takes IAM-signed requests only and this one carries no caller identity (a Function URL with AuthType NONE?). Set MCP_AUTH to OAUTH, or to NONE for a public server."

/** The host's caller; a request without identity is refused. */
export const iamCaller: AuthenticatorShape = {
  authenticate: () =>
    Effect.flatMap(Caller, (caller) =>
      caller.principal === ANONYMOUS
        ? Effect.zipRight(
          Effect.logWarning("Request without caller identity refused (MCP_AUTH=IAM)"),
          Effect.fail(new HttpProblem({ status: 403, error: "Forbidden", message: NO_IDENTITY }))
        )
        : Effect.succeed(caller)),
  metadata: noMetadata
}

/** Public: every caller is `anonymous`, whatever the host says. */
export const anonymousCaller: AuthenticatorShape = {
  authenticate: () => Effect.succeed({ principal: ANONYMOUS }),
  metadata: noMetadata
}

export class Authenticator extends Context.Tag("mcp-lambda-sam/Authenticator")<Authenticator, AuthenticatorShape>() {
  /** The host's caller; a request without identity is refused. */
  static readonly iam: Layer.Layer<Authenticator> = Layer.succeed(Authenticator, iamCaller)

  /** Public: every caller is `anonymous`, whatever the host says. */
  static readonly public: Layer.Layer<Authenticator> = Layer.succeed(Authenticator, anonymousCaller)
}

/** Refuses requests that carry no caller identity (an app that is IAM-only, like the Registration API). */
export const requireIdentity = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | Caller> =>
  Effect.flatMap(Caller, (caller) =>
    caller.principal === ANONYMOUS
      ? Effect.as(Effect.logWarning("Request without caller identity refused"), problem(403, "Forbidden", NO_IDENTITY))
      : app)

export const WELL_KNOWN = "/.well-known/oauth-protected-resource"

/** The MCP endpoint has its own resource identifier; the legacy SSE pair is covered by the origin's. */
const RESOURCE_PATH = "/mcp"

/** `http://host:port` as the client addressed the server: the absolute URL on Lambda, else `Host`. */
export const originOf = (request: HttpServerRequest.HttpServerRequest) => {
  const parse = (text: string) => {
    try {
      const url = new URL(text)
      return url.protocol === "https:" || url.protocol === "http:" ? Option.some(url.origin) : Option.none()
    } catch {
      return Option.none<string>()
    }
  }
  return parse(request.originalUrl).pipe(
    Option.orElse(() => parse(`http://${request.headers["host"] ?? "localhost"}`)),
    Option.getOrElse(() => "http://localhost")
  )
}

/** RFC 6749 scope tokens: no space, quote or backslash, so they fit a quoted challenge parameter. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

export interface OAuthOptions {
  /** The authorization server the metadata names (the issuer). */
  readonly issuer: string
  /** Scopes every request's token must hold (empty: none). */
  readonly requiredScopes?: ReadonlyArray<string> | undefined
  /**
   * The origin clients reach the API at, when it is not the one requests arrive at (a custom
   * domain in front of the Function URL): the metadata's `resource` and the challenge name it.
   */
  readonly resourceOrigin?: string | undefined
}

export const makeOAuth = (verifier: TokenVerifierShape, options: OAuthOptions): AuthenticatorShape => {
  const required = options.requiredScopes ?? []
  const scope = required.length === 0 ? {} : { scope: required.join(" ") }

  const publicOrigin = (request: HttpServerRequest.HttpServerRequest) => options.resourceOrigin ?? originOf(request)
  const metadataUrl = (origin: string, suffix: string) => `${origin}${WELL_KNOWN}${suffix}`
  const suffixFor = (path: string) => (path.replace(/\/$/, "") === RESOURCE_PATH ? RESOURCE_PATH : "")

  const challenge = (request: HttpServerRequest.HttpServerRequest, params: Record<string, string>) => {
    const all = { ...params, resource_metadata: metadataUrl(publicOrigin(request), suffixFor(pathOf(request))) }
    return `Bearer ${Object.entries(all).map(([name, value]) => `${name}="${value}"`).join(", ")}`
  }
  const refuse = (request: HttpServerRequest.HttpServerRequest, status: 401 | 403, message: string, params: Record<string, string>) =>
    new HttpProblem({
      status,
      error: status === 401 ? "Unauthorized" : "Forbidden",
      message,
      headers: { "www-authenticate": challenge(request, params) }
    })

  const authenticate = (request: HttpServerRequest.HttpServerRequest) =>
    Effect.gen(function* () {
      const header = request.headers["authorization"] ?? ""
      const bearer = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header)
      if (bearer === null) return yield* refuse(request, 401, "A bearer token is required", scope)
      const token = yield* verifier.verify(bearer[1]!).pipe(
        Effect.catchTags({
          // The reason is logged; the client learns `invalid_token` and nothing of why.
          InvalidToken: (error) =>
            Effect.zipRight(
              Effect.logInfo("Bearer token refused").pipe(Effect.annotateLogs({ reason: error.reason })),
              Effect.fail(refuse(request, 401, "The bearer token is not valid here", { error: "invalid_token", ...scope }))
            ),
          IssuerUnavailable: (error) =>
            Effect.zipRight(
              Effect.logError("The authorization server cannot be reached").pipe(Effect.annotateLogs({ reason: error.reason })),
              Effect.fail(
                new HttpProblem({
                  status: 503,
                  error: "ServiceUnavailable",
                  message: "Tokens cannot be checked right now; try again",
                  headers: { "retry-after": "5" }
                })
              )
            )
        })
      )
      const missing = required.filter((name) => !token.scopes.includes(name))
      if (missing.length > 0) {
        yield* Effect.logInfo("Bearer token lacks a required scope").pipe(Effect.annotateLogs({ missing: missing.join(" ") }))
        return yield* refuse(request, 403, `The token lacks the scope ${missing.join(" ")}`, {
          error: "insufficient_scope",
          scope: required.join(" ")
        })
      }
      return { principal: principalOf(token), scopes: token.scopes } satisfies CallerIdentity
    })

  const metadata = (request: HttpServerRequest.HttpServerRequest) => {
    if (request.method !== "GET") return Option.none()
    const path = pathOf(request)
    if (path !== WELL_KNOWN && path !== `${WELL_KNOWN}${RESOURCE_PATH}`) return Option.none()
    const origin = publicOrigin(request)
    return Option.some(json(
      {
        resource: path === WELL_KNOWN ? origin : `${origin}${RESOURCE_PATH}`,
        authorization_servers: [options.issuer],
        bearer_methods_supported: ["header"],
        ...(required.length === 0 ? {} : { scopes_supported: required }),
        resource_name: "mcp-lambda-sam"
      },
      200,
      { "cache-control": "max-age=300" }
    ))
  }

  return { authenticate, metadata }
}

export interface OAuthSettings extends JoseTokenVerifierOptions {
  readonly requiredScopes?: ReadonlyArray<string> | undefined
  readonly resourceOrigin?: string | undefined
}

/** OAuth over `jose`: the verifier and the authenticator from one set of settings (Lambda, `dev --auth oauth`). */
export const makeOAuthConfigured = (settings: OAuthSettings) =>
  Effect.map(
    // jose (and the verifier) loaded only where tokens are checked: an IAM deployment never compiles it.
    Effect.flatMap(JoseTokenVerifier, (jose) => jose.make(settings)),
    (verifier) => makeOAuth(verifier, { issuer: settings.issuer, requiredScopes: settings.requiredScopes, resourceOrigin: settings.resourceOrigin })
  )

export const layerOAuth = (settings: OAuthSettings): Layer.Layer<Authenticator> => Layer.effect(Authenticator, makeOAuthConfigured(settings))

const httpUrl = (name: string) =>
  Config.mapOrFail(Config.string(name), (text) => {
    const valid = Either.try(() => new URL(text)).pipe(Either.filterOrLeft((url) => url.protocol === "https:" || url.protocol === "http:", () => null))
    return Either.isRight(valid) ? Either.right(text) : Either.left(ConfigError.InvalidData([name], `${name} must be an http(s) URL`))
  })

const scopeList = (name: string) =>
  Config.mapOrFail(Config.withDefault(Config.string(name), Settings.DEFAULTS.OAUTH_REQUIRED_SCOPE), (text) => {
    const scopes = text.split(" ").filter((item) => item !== "")
    return scopes.every((item) => SCOPE_TOKEN.test(item))
      ? Either.right(scopes)
      : Either.left(ConfigError.InvalidData([name], `${name} must be space-separated scope names`))
  })

/** The OAuth settings from the environment (`OAUTH_*`; see the README). */
export const oauthConfig = Effect.gen(function* () {
  const settings = yield* Config.all({
    issuer: httpUrl("OAUTH_ISSUER"),
    // Comma-separated: several app clients (Cognito) or API identifiers.
    audience: Config.string("OAUTH_AUDIENCE").pipe(
      Config.map((text) => text.split(",").map((item) => item.trim()).filter((item) => item !== "")),
      Config.validate({ message: "OAUTH_AUDIENCE must name an audience", validation: (list) => list.length > 0 })
    ),
    requiredScopes: scopeList("OAUTH_REQUIRED_SCOPE"),
    introspectionUrl: Config.withDefault(Config.string("OAUTH_INTROSPECTION_URL"), Settings.DEFAULTS.OAUTH_INTROSPECTION_URL),
    resourceOrigin: Config.withDefault(Config.string("OAUTH_RESOURCE_ORIGIN"), Settings.DEFAULTS.OAUTH_RESOURCE_ORIGIN)
  })
  const resourceOrigin = settings.resourceOrigin === ""
    ? undefined
    : new URL(yield* httpUrl("OAUTH_RESOURCE_ORIGIN")).origin
  // With an introspection endpoint, the server's own credentials at the issuer.
  const introspection = settings.introspectionUrl === "" ? undefined : yield* Config.all({
    url: httpUrl("OAUTH_INTROSPECTION_URL"),
    clientId: Config.string("OAUTH_INTROSPECTION_CLIENT_ID"),
    clientSecret: Config.redacted("OAUTH_INTROSPECTION_CLIENT_SECRET")
  })
  return {
    issuer: settings.issuer,
    audience: settings.audience,
    requiredScopes: settings.requiredScopes,
    introspection,
    resourceOrigin
  } satisfies OAuthSettings
})

/** The authenticator `MCP_AUTH` names (`IAM`, `OAUTH` or `NONE`). */
export const makeConfig: Effect.Effect<AuthenticatorShape, ConfigError.ConfigError, Scope.Scope> = Effect.gen(function* () {
  const mode = yield* Config.withDefault(Config.literal("IAM", "OAUTH", "NONE")("MCP_AUTH"), Settings.DEFAULTS.MCP_AUTH)
  if (mode === "IAM") return iamCaller
  if (mode === "NONE") return anonymousCaller
  // Bearer tokens: the verifier (its key sets and caches), built once.
  return yield* makeOAuthConfigured(yield* oauthConfig)
})

export const layerConfig: Layer.Layer<Authenticator, ConfigError.ConfigError> = Layer.scoped(Authenticator, makeConfig)
