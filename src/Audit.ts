/**
 * Audit lines: one log entry per registration change and per function invocation, naming the
 * principal. The entry's message is the record itself, so the JSON logger on Lambda writes it
 * as a JSON object (CloudWatch Logs Insights: `filter ispresent(message.audit)`).
 */
import * as Effect from "effect/Effect"

export type AuditAction =
  | "registration.create"
  | "registration.update"
  | "registration.delete"
  | "registration.refused"
  | "function.invoke"

export interface AuditRecord {
  readonly audit: AuditAction
  /** The caller: an IAM principal ARN on AWS, `local` on the dev server. */
  readonly principal: string
  readonly [field: string]: string | number | boolean | undefined
}

/** Writes the record at INFO, whatever the request's own logging does. */
export const audit = (record: AuditRecord): Effect.Effect<void> =>
  Effect.logInfo(Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)))
