/**
 * `npm run bench` (part 1): the Lambda bundles' size, and import + runtime init in a fresh
 * Node process (a cold start's share that is ours). Baseline, measured the same way: a fresh
 * process importing an empty module. Target (issue 13): what each bundle loads at init ≤ 1 MiB; the
 * cold start is judged against the plain SDK's yardstick by `coldstart.ts`, not in milliseconds here.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { bundle } from "../scripts/bundle.mjs"

const RUNS = 7
const MAX_BYTES = 1024 * 1024

const median = (values: Array<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** Imports the module and answers one GET /health through the buffered handler (builds the runtime). */
const measure = (module: string) => {
  const script = `
    const started = performance.now()
    const { handler } = await import(${JSON.stringify(module)})
    if (typeof handler === "function") {
      await handler(
        { rawPath: "/health", headers: {}, requestContext: { http: { method: "GET" } } },
        { getRemainingTimeInMillis: () => 30000 }
      )
    }
    console.log(performance.now() - started)
  `
  const env = {
    ...process.env,
    INVOKE_MODE: "BUFFERED",
    REGISTRATION_TABLE_NAME: "bench",
    SESSION_TABLE_NAME: "bench",
    AWS_REGION: "us-east-1",
    LOG_LEVEL: "ERROR",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true"
  }
  return Array.from({ length: RUNS }, () =>
    // The figure is the last line: a handler may log JSON lines to stdout before it.
    Number(execFileSync("node", ["--input-type=module", "-e", script], { env }).toString().trim().split("\n").at(-1)))
}

const sizes = await bundle()
const empty = join(mkdtempSync(join(tmpdir(), "bench-")), "empty.mjs")
writeFileSync(empty, "export const handler = undefined\n")
const baseline = median(measure(empty))

console.log(`Lambda bundles (import + runtime init: median of ${RUNS} fresh processes)`)
console.log(`  baseline (empty module): ${baseline.toFixed(1)} ms`)
for (const [name, { init: size, later }] of Object.entries(sizes)) {
  const init = median(measure(resolve(`dist/lambda/${name}/index.mjs`)))
  console.log(
    `  ${name.padEnd(13)} ${(size / 1024).toFixed(0).padStart(5)} KiB ${size <= MAX_BYTES ? "(≤ 1 MiB: met)" : "(≤ 1 MiB: MISSED)"}` +
      ` (+ ${(later / 1024).toFixed(0)} KiB loaded on first use)` +
      `   init ${init.toFixed(1)} ms, ratio to the empty module ${(init / baseline).toFixed(2)}`
  )
}
console.log("")
