/**
 * Open long-lived streams per principal, counted where every container sees the same count:
 * each stream holds a lease from its start until it ends (or its lifetime runs out, should
 * its invocation die without saying so), and a principal holds at most `limit` at once.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import type { StoreError } from "../domain/errors.js"

export interface StreamLeasesShape {
  /** The most streams one principal may hold open at once. */
  readonly limit: number
  /** Takes a lease for `stream` until `expiresAt` (epoch ms): false when `principal` holds `limit` live ones. */
  readonly acquire: (principal: string, stream: string, expiresAt: number) => Effect.Effect<boolean, StoreError>
  /** Gives the lease back (a lease already gone is fine). */
  readonly release: (principal: string, stream: string) => Effect.Effect<void, StoreError>
}

export class StreamLeases extends Context.Tag("mcp-lambda-sam/StreamLeases")<StreamLeases, StreamLeasesShape>() {}

/** The leases a principal holds that are still live at `now`, with `stream` taken when there is room. */
export const withLease = (
  leases: Readonly<Record<string, number>>,
  now: number,
  limit: number,
  stream: string,
  expiresAt: number
): Record<string, number> | undefined => {
  const live = Object.entries(leases).filter(([, until]) => until > now)
  if (live.length >= limit) return undefined
  return { ...Object.fromEntries(live), [stream]: expiresAt }
}

/** One container's leases (the dev server, tests). */
export const layerMemory = (limit: number): Layer.Layer<StreamLeases> =>
  Layer.effect(
    StreamLeases,
    Effect.map(Ref.make(new Map<string, Record<string, number>>()), (held) => ({
      limit,
      acquire: (principal, stream, expiresAt) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Ref.modify(held, (current) => {
            const next = withLease(current.get(principal) ?? {}, now, limit, stream, expiresAt)
            return next === undefined ? [false, current] : [true, new Map(current).set(principal, next)]
          })),
      release: (principal, stream) =>
        Ref.update(held, (current) => {
          const { [stream]: _released, ...rest } = current.get(principal) ?? {}
          return new Map(current).set(principal, rest)
        })
    }))
  )
