/** Helpers shared by the issue 13 benches (`coldstart.ts`, `overhead.ts`, `dynamodb.ts`, `profile.ts`). */
import { type ChildProcess, execFile } from "node:child_process"
import { cpSync, readFileSync, statSync } from "node:fs"
import { dirname, join } from "node:path"

export const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

export const quantile = (sorted: ReadonlyArray<number>, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

/** Peak resident set (`VmHWM`) of a running process, in MiB. */
export const peakRssMiB = (pid: number | "self") => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024

const TICKS_PER_SECOND = 100

/** CPU time (user + system, all threads) a running process has used so far, in ms. */
export const cpuMillis = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000
}

export const met = (ok: boolean) => (ok ? "met" : "MISSED")

/** A bundle's size as a cold start loads it: the module and the chunks it imports statically (not those behind `import()`). */
export const loadedSize = (file: string) => {
  const loaded = new Set([file])
  for (const module of loaded) {
    for (const [, chunk] of readFileSync(module, "utf8").matchAll(/(?:from|import)\s*"(\.\/chunk-[\w-]+\.mjs)"/g)) {
      loaded.add(join(dirname(module), chunk!))
    }
  }
  return [...loaded].reduce((sum, module) => sum + statSync(module).size, 0)
}

/** A copy of a bundle's directory (its chunks too), so that a build running meanwhile does not pull it away mid-run. */
export const copyBundle = (name: string, into: string) => {
  cpSync(`dist/lambda/${name}`, into, { recursive: true })
  return join(into, "index.mjs")
}

/** The environment a Lambda bundle reads at init, pointing nowhere real (a cold start touches no AWS service). */
export const LAMBDA_ENV = {
  INVOKE_MODE: "BUFFERED",
  REGISTRATION_TABLE_NAME: "bench",
  SESSION_TABLE_NAME: "bench",
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
  LOG_LEVEL: "ERROR",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true"
}

/** Runs a Node script to its end (with `node`, by default this process's binary); its stdout. */
export const runNode = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env, node = process.execPath) =>
  new Promise<string>((resolve, reject) =>
    execFile(node, args, { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stderr}`))))

/** The last line of a script's output: a handler may log JSON lines to stdout before it. */
export const lastLine = (stdout: string) => stdout.trim().split("\n").at(-1)!

/** Waits for a spawned server to print its URL (the first `http://127.0.0.1:<port>`), then drains its output. */
export const serverUrl = (child: ChildProcess) =>
  new Promise<string>((resolve, reject) => {
    let seen = ""
    const onData = (chunk: Buffer) => {
      seen += chunk.toString()
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(seen)
      if (match !== null) {
        child.stdout!.off("data", onData)
        child.stdout!.resume()
        resolve(match[1]!)
      }
    }
    child.stdout!.on("data", onData)
    child.stderr?.on("data", (chunk: Buffer) => (seen += chunk.toString()))
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${seen}`)))
  })

/** Ends a spawned server and waits for it to exit (SIGINT: Node writes `--cpu-prof` output on a clean exit). */
export const stopServer = (child: ChildProcess, signal: NodeJS.Signals = "SIGTERM") =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const force = setTimeout(() => child.kill("SIGKILL"), 10_000)
    child.once("exit", () => {
      clearTimeout(force)
      resolve()
    })
    child.kill(signal)
  })
