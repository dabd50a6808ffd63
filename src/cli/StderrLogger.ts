/**
 * The CLI's logger: one line per entry on stderr (stdout carries results, and for `proxy` the
 * MCP protocol itself). `dev` logs every request and every tool call, so the entries are
 * formatted plainly (no colours, objects as one line of JSON) and written together once per
 * turn of the event loop, not one synchronous write each (issue 13: the pretty logger's writes
 * were a sixth of `dev`'s CPU under load).
 */
import * as Cause from "effect/Cause"
import * as FiberId from "effect/FiberId"
import * as HashMap from "effect/HashMap"
import * as Inspectable from "effect/Inspectable"
import * as List from "effect/List"
import * as Logger from "effect/Logger"

const pending: Array<string> = []

const flush = () => {
  if (pending.length === 0) return
  const text = pending.join("")
  pending.length = 0
  process.stderr.write(text)
}

// Written synchronously at exit, so a command that ends the process loses no line.
process.once("exit", flush)

const write = (line: string) => {
  if (pending.length === 0) setImmediate(flush)
  pending.push(line)
}

const time = (date: Date) =>
  `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}:${String(date.getSeconds()).padStart(2, "0")}.${String(date.getMilliseconds()).padStart(3, "0")}`

/** `[12:34:56.789] INFO (#12) span=3ms: message key=value`, then the cause's rendering, if any. */
export const stderrLogger = Logger.make(({ annotations, cause, date, fiberId, logLevel, message, spans }) => {
  let line = `[${time(date)}] ${logLevel.label} (${FiberId.threadName(fiberId)})`
  const now = date.getTime()
  for (const span of List.toArray(spans)) line += ` ${span.label}=${now - span.startTime}ms`
  line += ":"
  for (const part of Array.isArray(message) ? message : [message]) line += ` ${Inspectable.toStringUnknown(part, 0)}`
  for (const [key, value] of HashMap.toEntries(annotations)) line += ` ${key}=${Inspectable.toStringUnknown(value, 0)}`
  if (!Cause.isEmpty(cause)) line += `\n${Cause.pretty(cause, { renderErrorCause: true })}`
  write(`${line}\n`)
})
