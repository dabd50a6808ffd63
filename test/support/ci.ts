/**
 * Whether this run is CI, and tools that CI must have. CI services set `CI` in several spellings
 * (`true`, `1`, `True`); any value counts but an explicit no, so a CI run never skips a suite
 * for want of a tool or service: it fails instead.
 */
import { spawnSync } from "node:child_process"

const NO = new Set(["", "0", "false", "no", "off"])

export const isCi = (value: string | undefined): boolean => value !== undefined && !NO.has(value.trim().toLowerCase())

export const inCi = isCi(process.env["CI"])

/** Whether `command args` runs here; in CI a missing tool is an error, not a skip. */
export const toolAvailable = (command: string, args: ReadonlyArray<string>) => {
  const found = spawnSync(command, args).status === 0
  if (!found && inCi) throw new Error(`CI needs ${command} (${[command, ...args].join(" ")} failed)`)
  return found
}
