/**
 * `npm run bench`: every benchmark in turn, each in its own process (so one's heap and timers do
 * not weigh on the next), its output shown as it comes and kept. At the end, the whole output
 * goes into `bench/results.md` between two markers, with the machine, the Node version, the date
 * and the load average, and a summary of every target's verdict (each line of the output that
 * says `met` or `MISSED`). The rest of `results.md` (the levers tried, the profiles) is written by
 * hand and left as it is.
 *
 * A benchmark that fails stops nothing: its failure is in the output and in `results.md`, and the
 * run exits non-zero at the end. `BENCH_ONLY=coldstart,relay` runs only those.
 */
import { spawn } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { cpus, loadavg, totalmem } from "node:os"
import { pathToFileURL } from "node:url"

export const BENCHES = ["bundles", "coldstart", "overhead", "dynamodb", "relay", "idle", "memory"] as const

export const BEGIN = "<!-- npm run bench: begin (written by bench/run.ts, not by hand) -->"
export const END = "<!-- npm run bench: end -->"
const RESULTS = "bench/results.md"

/** Runs one benchmark script with tsx; resolves with its output (stdout and stderr, as they came) and exit code. */
const runScript = (name: string) =>
  new Promise<{ output: string; code: number }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", `bench/${name}.ts`], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const keep = (sink: NodeJS.WriteStream) => (chunk: Buffer) => {
      sink.write(chunk)
      output += chunk.toString()
    }
    child.stdout.on("data", keep(process.stdout))
    child.stderr.on("data", keep(process.stderr))
    child.once("close", (code) => resolve({ output, code: code ?? 1 }))
  })

/** The lines that carry a target's verdict. */
export const verdicts = (output: string) => output.split("\n").filter((line) => /\b(met|MISSED)\b/.test(line)).map((line) => line.trim())

/** `document` with the section between the markers replaced by `section` (added after the title when there are no markers). */
export const withSection = (document: string, section: string) => {
  const block = `${BEGIN}\n${section.trimEnd()}\n${END}`
  const begin = document.indexOf(BEGIN)
  const end = document.indexOf(END)
  if (begin !== -1 && end > begin) return document.slice(0, begin) + block + document.slice(end + END.length)
  const title = document.indexOf("\n")
  return title === -1 ? `${document}\n\n${block}\n` : `${document.slice(0, title + 1)}\n${block}\n${document.slice(title + 1)}`
}

const main = async () => {
  const only = process.env["BENCH_ONLY"]?.split(",").map((name) => name.trim())
  const names = BENCHES.filter((name) => only === undefined || only.includes(name))
  const started = Date.now()
  const loadBefore = loadavg()[0]!
  const parts: Array<{ name: string; output: string; code: number }> = []
  for (const name of names) parts.push({ name, ...(await runScript(name)) })
  const minutes = (Date.now() - started) / 60_000
  const failed = parts.filter((part) => part.code !== 0)
  const cpu = cpus()
  const section = [
    "## Latest `npm run bench`",
    "",
    `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average ${loadBefore.toFixed(2)} before, ` +
      `${loadavg()[0]!.toFixed(2)} after; ${minutes.toFixed(1)} minutes${only === undefined ? "" : ` (only ${names.join(", ")})`}.` +
      (failed.length === 0 ? "" : ` **Failed: ${failed.map((part) => `${part.name} (exit ${part.code})`).join(", ")}.**`),
    "",
    "Targets (issue 13), as judged by the run:",
    "",
    ...parts.flatMap((part) => verdicts(part.output).map((line) => `- ${part.name}: ${line}`)),
    "",
    "The whole output:",
    "",
    "```text",
    ...parts.map((part) => part.output.trimEnd()),
    "```"
  ].join("\n")
  writeFileSync(RESULTS, withSection(readFileSync(RESULTS, "utf8"), section))
  console.log(`bench/results.md written (${minutes.toFixed(1)} minutes)${failed.length === 0 ? "" : `; failed: ${failed.map((part) => part.name).join(", ")}`}`)
  if (failed.length > 0) process.exitCode = 1
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
