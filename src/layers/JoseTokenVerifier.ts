/**
 * Access tokens verified with `jose`: JWTs against the issuer's published keys, opaque tokens
 * through the issuer's introspection endpoint (RFC 7662) when one is configured.
 *
 * The issuer's metadata (RFC 8414 `/.well-known/oauth-authorization-server`, else OpenID
 * `/.well-known/openid-configuration`) is fetched on the first token, not when the layer is
 * built: a cold start must not cache an unreachable issuer. A failed discovery is retried with
 * the next token. The key set is cached by `createRemoteJWKSet` and fetched again when a token
 * names a `kid` it does not hold (a key rotation), at most once per cooldown.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as Settings from "../Settings.js"
import { InvalidToken, IssuerUnavailable, TokenVerifier, type TokenVerifierShape, type VerifiedToken } from "../services/TokenVerifier.js"

export interface IntrospectionOptions {
  readonly url: string
  /** The resource server's own client credentials at the issuer (`client_secret_basic`). */
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
}

export interface JoseTokenVerifierOptions {
  /** Exactly as the issuer writes it in its metadata and in `iss`. */
  readonly issuer: string
  /**
   * The audience tokens must be for (one of them, when several): `aud` holds it (RFC 8707,
   * RFC 9068) or, for issuers whose access tokens carry no `aud` (Amazon Cognito), `client_id` is it.
   */
  readonly audience: string | ReadonlyArray<string>
  readonly introspection?: IntrospectionOptions | undefined
  readonly clockToleranceSeconds?: number | undefined
  /** Asymmetric algorithms only: a shared-secret (`HS*`) or unsigned (`none`) token is never accepted. */
  readonly algorithms?: ReadonlyArray<string> | undefined
  /** How soon after a key-set fetch an unknown `kid` may cause another (default 30 s). */
  readonly jwksCooldownMillis?: number | undefined
}

const IssuerMetadata = Schema.Struct({
  issuer: Schema.String,
  jwks_uri: Schema.optional(Schema.String)
})

const Introspection = Schema.Struct({
  active: Schema.Boolean,
  iss: Schema.optional(Schema.String),
  sub: Schema.optional(Schema.String),
  aud: Schema.optional(Schema.Union(Schema.String, Schema.Array(Schema.String))),
  client_id: Schema.optional(Schema.String),
  scope: Schema.optional(Schema.String),
  token_type: Schema.optional(Schema.String)
})

const withoutSlash = (url: string) => url.replace(/\/+$/, "")

/** Where the issuer's metadata may be: RFC 8414's form first, then OpenID Connect's (appended, and inserted). */
export const discoveryUrls = (issuer: string): ReadonlyArray<string> => {
  const url = new URL(issuer)
  const path = withoutSlash(url.pathname)
  return [...new Set([
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/openid-configuration${path}`
  ])]
}

const fetchJson = (url: string, init: RequestInit = {}) =>
  Effect.tryPromise({
    try: async () => {
      const response = await fetch(url, { ...init, redirect: "error", signal: AbortSignal.timeout(Settings.FIXED.oauth.fetchTimeoutMillis) })
      if (!response.ok) throw new Error(`${url} answered ${response.status}`)
      return (await response.json()) as unknown
    },
    catch: (cause) => new IssuerUnavailable({ reason: `${url}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
  })

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

const audiences = (aud: string | ReadonlyArray<string> | undefined) => (aud === undefined ? [] : typeof aud === "string" ? [aud] : aud)

const scopesOf = (claims: { readonly scope?: unknown; readonly scp?: unknown }) =>
  typeof claims.scope === "string"
    ? claims.scope.split(" ").filter((scope) => scope !== "")
    : Array.isArray(claims.scp)
    ? claims.scp.filter((scope): scope is string => typeof scope === "string")
    : []

/** `aud` names an accepted audience; without `aud`, `client_id` does (Cognito access tokens). */
const forAudience = (
  accepted: ReadonlyArray<string>,
  claims: { readonly aud?: string | ReadonlyArray<string> | undefined; readonly client_id?: unknown }
) =>
  claims.aud === undefined
    ? typeof claims.client_id === "string" && accepted.includes(claims.client_id)
    : audiences(claims.aud).some((audience) => accepted.includes(audience))

/** A jose failure: the token's fault (refused), or the issuer's keys out of reach (503). */
const classify = (cause: unknown): InvalidToken | IssuerUnavailable => {
  if (cause instanceof errors.JWKSTimeout || cause instanceof errors.JWKSInvalid || !(cause instanceof errors.JOSEError)) {
    return new IssuerUnavailable({ reason: `keys: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
  }
  if (cause.code === "ERR_JOSE_GENERIC") return new IssuerUnavailable({ reason: `keys: ${cause.message}`, cause })
  return new InvalidToken({ reason: `${cause.code}: ${cause.message}` })
}

export const make = Effect.fn("JoseTokenVerifier.make")(function* (options: JoseTokenVerifierOptions) {
  const issuer = options.issuer
  const algorithms = [...(options.algorithms ?? Settings.FIXED.oauth.algorithms)]
  const clockTolerance = options.clockToleranceSeconds ?? Settings.FIXED.oauth.clockToleranceSeconds
  const accepted = audiences(options.audience)
  const audienceText = accepted.join(", ")
  const keys = yield* SynchronizedRef.make(Option.none<JWTVerifyGetKey>())

  const discover = Effect.gen(function* () {
    const document = yield* Effect.firstSuccessOf(discoveryUrls(issuer).map((url) => fetchJson(url)))
    const metadata = yield* Schema.decodeUnknown(IssuerMetadata)(document).pipe(
      Effect.mapError((cause) => new IssuerUnavailable({ reason: "the issuer's metadata is not OAuth metadata", cause }))
    )
    // RFC 8414 §3.3: metadata that names another issuer must not be used.
    if (withoutSlash(metadata.issuer) !== withoutSlash(issuer)) {
      return yield* new IssuerUnavailable({ reason: `the metadata names issuer ${metadata.issuer}, not ${issuer}` })
    }
    if (metadata.jwks_uri === undefined) return yield* new IssuerUnavailable({ reason: "the issuer publishes no jwks_uri" })
    return createRemoteJWKSet(new URL(metadata.jwks_uri), {
      timeoutDuration: Settings.FIXED.oauth.fetchTimeoutMillis,
      cooldownDuration: options.jwksCooldownMillis ?? Settings.FIXED.oauth.jwksCooldownMillis
    })
  })

  // Discovered once per container; a failure is not kept, so the next token tries again.
  const keySet = SynchronizedRef.modifyEffect(keys, (current) =>
    Option.match(current, {
      onSome: (set) => Effect.succeed([set, current] as const),
      onNone: () => Effect.map(discover, (set) => [set, Option.some(set)] as const)
    }))

  const verifyJwt = Effect.fn("JoseTokenVerifier.verifyJwt")(function* (token: string) {
    const getKey = yield* keySet
    const { payload } = yield* Effect.tryPromise({
      try: () => jwtVerify<JWTPayload & { scope?: unknown; scp?: unknown; client_id?: unknown; token_use?: unknown }>(token, getKey, {
        issuer,
        algorithms,
        clockTolerance,
        requiredClaims: ["exp", "sub"]
      }),
      catch: classify
    })
    if (!forAudience(accepted, payload)) {
      return yield* new InvalidToken({ reason: `the token is not for audience ${audienceText}` })
    }
    // Cognito marks ID tokens; their `aud` is the app client, so they would pass as access tokens.
    if (payload.token_use === "id") return yield* new InvalidToken({ reason: "an ID token is not an access token" })
    return {
      issuer,
      subject: payload.sub!,
      scopes: scopesOf(payload),
      clientId: typeof payload.client_id === "string" ? payload.client_id : undefined
    } satisfies VerifiedToken
  })

  const introspect = Effect.fn("JoseTokenVerifier.introspect")(function* (token: string, introspection: IntrospectionOptions) {
    const credentials = `${encodeURIComponent(introspection.clientId)}:${encodeURIComponent(Redacted.value(introspection.clientSecret))}`
    const answer = yield* fetchJson(introspection.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
        authorization: `Basic ${Buffer.from(credentials).toString("base64")}`
      },
      body: new URLSearchParams({ token, token_type_hint: "access_token" }).toString()
    })
    const claims = yield* Schema.decodeUnknown(Introspection)(answer).pipe(
      Effect.mapError((cause) => new IssuerUnavailable({ reason: "the introspection answer is not RFC 7662", cause }))
    )
    if (!claims.active) return yield* new InvalidToken({ reason: "introspection: the token is not active" })
    if (claims.iss !== undefined && withoutSlash(claims.iss) !== withoutSlash(issuer)) {
      return yield* new InvalidToken({ reason: `introspection: issued by ${claims.iss}` })
    }
    if (!forAudience(accepted, claims)) {
      return yield* new InvalidToken({ reason: `introspection: the token is not for audience ${audienceText}` })
    }
    const subject = claims.sub ?? claims.client_id
    if (subject === undefined) return yield* new InvalidToken({ reason: "introspection: no sub and no client_id" })
    return { issuer, subject, scopes: scopesOf(claims), clientId: claims.client_id } satisfies VerifiedToken
  })

  const verify: TokenVerifierShape["verify"] = (token) => {
    if (JWS_COMPACT.test(token)) return verifyJwt(token)
    if (options.introspection !== undefined) return introspect(token, options.introspection)
    return Effect.fail(new InvalidToken({ reason: "not a JWT, and no introspection endpoint is configured" }))
  }
  return TokenVerifier.of({ verify })
})

export const layer = (options: JoseTokenVerifierOptions): Layer.Layer<TokenVerifier> => Layer.effect(TokenVerifier, make(options))
