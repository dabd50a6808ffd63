/**
 * The one record of defaults. Every setting is read once, by the `layerConfig` of the code it
 * configures, from the environment on Lambda (`Config`), falling back to the value here; the
 * README's environment table is tested against this record.
 */
import * as Config from "effect/Config"

export const DEFAULTS = {
  /** RESPONSE_STREAM or BUFFERED: must match the Function URL's invoke mode. */
  INVOKE_MODE: "RESPONSE_STREAM",
  SESSION_TTL_SECONDS: 3600,
  INVOKE_TIMEOUT_SECONDS: 60,
  /** Under Lambda's 900 s limit, with room for the deadline margin. */
  MAX_STREAM_SECONDS: 840,
  /** A `GET /mcp` stream of a 2025-11-25 session ends after this long with nothing to send; 0: it lives MAX_STREAM_SECONDS. */
  IDLE_STREAM_SECONDS: 2,
  /** How long such a client waits before it opens its stream again (the priming event's `retry`). */
  IDLE_STREAM_RETRY_SECONDS: 30,
  POLL_MIN_MS: 25,
  POLL_MAX_MS: 6000,
  REGISTRY_WATCH_SECONDS: 60,
  /** How long a container trusts the registry stamp it read (0: every request reads it; the template sets 1000). */
  REGISTRY_STAMP_CACHE_MS: 0,
  /** 0: no limit. */
  RATE_LIMIT_PER_MINUTE: 0,
  /** Long-lived streams (legacy `GET /sse`, `subscriptions/listen`, older sessions' `GET /mcp`) one caller may hold open at once; 0: no cap. */
  MAX_STREAMS_PER_CALLER: 0,
  LOG_LEVEL: "INFO",
  /** Comma-separated; none by default on AWS (IAM callers are not browsers). */
  ALLOWED_ORIGINS: "",
  /**
   * Comma-separated ARN patterns (IAM wildcards) of the functions registrations may name and the
   * MCP role may invoke; the template sets it from ToolFunctionPattern, as the IAM policy is.
   */
  TOOL_FUNCTION_ARNS: "*",
  /** When true, a registration may be replaced or deleted only by the principal that created it. */
  REGISTRATION_OWNER_ONLY: false,
  /** Who may call the MCP API: IAM (the Function URL's caller), OAUTH (bearer tokens), NONE (public, every caller anonymous). */
  MCP_AUTH: "IAM",
  /** OAUTH: the authorization server, exactly as its tokens' `iss`. */
  OAUTH_ISSUER: "",
  /** OAUTH: the audience tokens must be for (required in that mode). */
  OAUTH_AUDIENCE: "",
  /** OAUTH: space-separated scopes every MCP request's token must hold (403 insufficient_scope). */
  OAUTH_REQUIRED_SCOPE: "",
  /** OAUTH: an RFC 7662 endpoint for tokens that are not JWTs. */
  OAUTH_INTROSPECTION_URL: "",
  /** OAUTH: the origin clients use when it is not the Function URL's (a custom domain); empty: the request's. */
  OAUTH_RESOURCE_ORIGIN: ""
} as const

export type IntegerSetting = {
  [K in keyof typeof DEFAULTS]: (typeof DEFAULTS)[K] extends number ? K : never
}[keyof typeof DEFAULTS]

/** An integer setting from the environment, or its default. */
export const integer = (name: IntegerSetting) => Config.integer(name).pipe(Config.withDefault<number>(DEFAULTS[name]))

/** Not environment settings: fixed choices that hosts share. */
export const FIXED = {
  /** SSE comments on idle streams, so proxies and idle timers keep them open. */
  keepAliveSeconds: 20,
  /** On Lambda, how long before the invocation's deadline a stream ends. */
  deadlineMarginSeconds: 10,
  /** What resumable streams tell clients to wait before they resume an ended stream. */
  retryMillis: 1000,
  /** A request still running after this long answers with a resumable stream (2025-11-25 clients). */
  streamAfterMillis: 1000,
  /** On Lambda, a request pushes its session's expiry only if the last push is this old. */
  sessionTouchSeconds: 60,
  /** The dev server serves one machine's clients: poll fast, watch often (on any store). */
  devPolling: { minMillis: 10, maxMillis: 100, watchSeconds: 1 },
  /**
   * Bounds on the work one request can cause, so none holds the event loop: URIs (in requests
   * and registrations), a 2025-03-26 batch, a registered JSON Schema (serialized, and its
   * JSON nesting depth), compiled validators kept, the RE2 instructions of a schema's
   * patterns together (compiling them stays in the tens of ms), and the steps the pattern
   * checks of one validation may take (string length × program size; tens of ms at worst).
   */
  limits: {
    maxUriLength: 8192,
    maxBatchItems: 100,
    maxSchemaBytes: 65_536,
    maxSchemaDepth: 64,
    compiledSchemas: 500,
    patternProgram: 2_000,
    patternSteps: 2_000_000
  },
  /** Bearer tokens: leeway for exp/nbf, asymmetric algorithms only, how long the issuer may take. */
  oauth: {
    clockToleranceSeconds: 30,
    algorithms: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"],
    fetchTimeoutMillis: 5000,
    /** After a key-set fetch, a token with an unknown `kid` waits this long before the next fetch. */
    jwksCooldownMillis: 30_000
  }
} as const
