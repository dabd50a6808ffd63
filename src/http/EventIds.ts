/**
 * SSE event ids of the Streamable HTTP transport, which say where a client resumes
 * (`Last-Event-ID`): `<seq>` on the session's own stream (`GET /mcp`), `<seq>@<stream>` on a
 * POST's response stream. `seq` is the outbox sequence number of the event, or of the last
 * entry before the stream began for its priming event.
 */
export type ResumePoint =
  | { readonly _tag: "Session"; readonly after: number }
  | { readonly _tag: "ResponseStream"; readonly stream: string; readonly after: number }

const RESPONSE_ID = /^(\d{1,15})@([0-9a-f]{16})$/
const SESSION_ID = /^\d{1,15}$/

export const sessionEventId = (seq: number) => `${seq}`

export const responseEventId = (stream: string, seq: number) => `${seq}@${stream}`

/** Where a `Last-Event-ID` says to resume; anything unreadable starts the session stream afresh. */
export const resumePointOf = (lastEventId: string | undefined): ResumePoint => {
  const value = lastEventId?.trim() ?? ""
  const response = RESPONSE_ID.exec(value)
  if (response !== null) return { _tag: "ResponseStream", stream: response[2]!, after: Number(response[1]) }
  return { _tag: "Session", after: SESSION_ID.test(value) ? Number(value) : 0 }
}
