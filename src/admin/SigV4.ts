/**
 * Requests to IAM-authenticated Function URLs, signed with SigV4 for service `lambda` by the AWS
 * SDK's own signer, with credentials from the default provider chain (or a named profile),
 * refreshed when they expire.
 */
import { fromNodeProviderChain } from "@aws-sdk/credential-providers"
import { Hash } from "@smithy/hash-node"
import { HttpRequest } from "@smithy/protocol-http"
import { SignatureV4 } from "@smithy/signature-v4"
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types"
import { MCP_TIMEOUTS, timedFetch, type Timeouts } from "./TimedFetch.js"

export interface SignerOptions {
  readonly region: string
  readonly profile?: string | undefined
  /** Fixed credentials (tests); the default chain otherwise. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined
}

/** The region of a Function URL (`<id>.lambda-url.<region>.on.aws`), if the host says. */
export const regionOfUrl = (url: string | URL): string | undefined =>
  /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(new URL(url).hostname)?.[1]

export const makeSigner = (options: SignerOptions) =>
  new SignatureV4({
    service: "lambda",
    region: options.region,
    credentials: options.credentials ?? fromNodeProviderChain(options.profile === undefined ? {} : { profile: options.profile }),
    sha256: Hash.bind(null, "sha256")
  })

export type Signer = ReturnType<typeof makeSigner>

/** The request as the signer sees it (also what a verifier rebuilds from a received request). */
export const toHttpRequest = (url: URL, method: string, headers: Record<string, string>, body?: string) =>
  new HttpRequest({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === "" ? {} : { port: Number(url.port) }),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...headers, host: url.host },
    ...(body === undefined ? {} : { body })
  })

/** `fetch` with a SigV4 signature, and deadlines to connect and to answer (TimedFetch.ts). */
export const signedFetch = async (
  signer: Signer,
  input: string | URL,
  init: {
    readonly method?: string
    readonly headers?: Record<string, string>
    readonly body?: string
    readonly signal?: AbortSignal
    /** Default: `MCP_TIMEOUTS` (10 s to connect, 120 s for the headers). */
    readonly timeouts?: Timeouts
  } = {}
): Promise<Response> => {
  const url = new URL(input)
  const method = init.method ?? "GET"
  const signed = await signer.sign(toHttpRequest(url, method, init.headers ?? {}, init.body))
  const headers = { ...signed.headers }
  // The request sets Host itself from the URL.
  delete headers["host"]
  return timedFetch(url, { method, headers, body: init.body, signal: init.signal }, init.timeouts ?? MCP_TIMEOUTS)
}
